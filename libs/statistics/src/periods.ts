export const PERIODS = ['day', 'week', 'month', 'quarter'] as const;
export type Period = (typeof PERIODS)[number];

/** Days and ISO weeks come from the daily rollup; months and quarters from the monthly one. */
export const GRAIN: Record<Period, 'day' | 'month'> = {
  day: 'day',
  week: 'day',
  month: 'month',
  quarter: 'month',
};

/** How a period is labelled in answers: 2026-10-05, 2026-W41, 2026-10, 2026-Q4. */
export const PERIOD_LABEL_SQL: Record<Period, (bucket: string) => string> = {
  day: (b) => `to_char(${b}, 'YYYY-MM-DD')`,
  week: (b) => `to_char(date_trunc('week', ${b}), 'IYYY-"W"IW')`,
  month: (b) => `to_char(${b}, 'YYYY-MM')`,
  quarter: (b) => `to_char(date_trunc('quarter', ${b}), 'YYYY-"Q"Q')`,
};

/** The longest range each period may cover in one query, so that nobody asks for 10 years of days. */
export const MAX_PERIODS: Record<Period, number> = { day: 400, week: 160, month: 120, quarter: 40 };

const DAY = 86_400_000;

/**
 * Widens [from, to] (calendar dates, inclusive) to whole periods, so every answer is built of
 * fixed, non-overlapping periods and two overlapping queries cannot be differenced to isolate
 * a call. Returns [start, endExclusive) as YYYY-MM-DD.
 */
export function alignToPeriods(
  period: Period,
  from: string,
  to: string,
): { start: string; end: string; count: number } {
  const f = parseDate(from);
  const t = parseDate(to);
  let start: Date;
  let end: Date;
  switch (period) {
    case 'day':
      start = f;
      end = new Date(t.getTime() + DAY);
      break;
    case 'week': {
      const back = (f.getUTCDay() + 6) % 7; // Monday starts the ISO week
      start = new Date(f.getTime() - back * DAY);
      const forward = 7 - ((t.getUTCDay() + 6) % 7);
      end = new Date(t.getTime() + forward * DAY);
      break;
    }
    case 'month':
      start = new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth(), 1));
      end = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
      break;
    case 'quarter':
      start = new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth() - (f.getUTCMonth() % 3), 1));
      end = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - (t.getUTCMonth() % 3) + 3, 1));
      break;
  }
  return { start: iso(start), end: iso(end), count: countPeriods(period, start, end) };
}

function countPeriods(period: Period, start: Date, end: Date): number {
  switch (period) {
    case 'day':
      return Math.round((end.getTime() - start.getTime()) / DAY);
    case 'week':
      return Math.round((end.getTime() - start.getTime()) / (7 * DAY));
    case 'month':
      return (
        (end.getUTCFullYear() - start.getUTCFullYear()) * 12 +
        end.getUTCMonth() -
        start.getUTCMonth()
      );
    case 'quarter':
      return (
        ((end.getUTCFullYear() - start.getUTCFullYear()) * 12 +
          end.getUTCMonth() -
          start.getUTCMonth()) /
        3
      );
  }
}

export function parseDate(value: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match
    ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
    : new Date(NaN);
  if (Number.isNaN(date.getTime()) || iso(date) !== value)
    throw new RangeError(`not a calendar date: ${value}`);
  return date;
}

export const iso = (date: Date): string => date.toISOString().slice(0, 10);
