import { StatsResult } from './stats-query';

/**
 * The same table as CSV, for reports: one column per dimension, then the count. A suppressed
 * cell reads "<k" in the count column and "true" in the suppressed column, so a spreadsheet
 * never mistakes it for a number.
 */
export function toCsv(result: StatsResult): string {
  const header = ['period', ...result.groupBy, 'count', 'suppressed'];
  const lines = result.rows.map((row) =>
    [
      row.period,
      ...result.groupBy.map((d) => String(row[d] ?? '')),
      row.suppressed ? `<${result.k}` : String(row.count),
      row.suppressed ? 'true' : 'false',
    ]
      .map(csvField)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}

/** Quotes when needed; a leading =, +, - or @ is neutralised so spreadsheets do not run it. */
function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
