import { Figures } from './scenario';

const COLUMNS: Array<[string, (f: Figures) => string]> = [
  ['scenario', (f) => f.scenario],
  ['requests', (f) => String(f.requests)],
  ['201s', (f) => String(f.created)],
  ['503s', (f) => String(f.unavailable)],
  ['no answer', (f) => String(f.noAnswer)],
  ['intakes', (f) => String(f.intakes)],
  ['p50/p99 ms', (f) => `${f.latency.p50}/${f.latency.p99}`],
  ['lost', (f) => String(f.lost)],
  ['dup', (f) => String(f.duplicates)],
  ['recovery', (f) => (f.recovery === undefined ? '—' : `${f.recovery.toFixed(1)} s`)],
  ['caught up', (f) => (f.caughtUp === undefined ? '—' : `${f.caughtUp.toFixed(1)} s`)],
  ['drain', (f) => `${f.drain.toFixed(1)} s`],
  ['cases a/p/e', (f) => `${f.cases.assigned}/${f.cases.pooled}/${f.cases.emergencies}`],
  ['pages', (f) => `${f.pages} (${f.escalations} esc.)`],
  ['re-sent', (f) => String(f.resent)],
  ['re-delivered', (f) => String(f.redelivered)],
  ['time', (f) => `${f.seconds.toFixed(0)} s`],
];

/** The figures as a compact table, and what each scenario's recovery time means. */
export function figuresTable(rows: Figures[]): string {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const meanings = rows
    .filter((r) => r.recoveryMeaning)
    .map((r) => `  ${r.scenario}: recovery = ${r.recoveryMeaning}`);
  return [
    line(cells[0]),
    ...cells.slice(1).map(line),
    '',
    ...meanings,
    '  caught up = from the heal until every job due by then was done; drain = after the load, until every job was done and every emergency acknowledged',
    '  cases a/p/e = legal and psych cases assigned / left in their pool, emergencies',
  ].join('\n');
}
