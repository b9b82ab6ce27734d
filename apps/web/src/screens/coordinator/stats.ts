/**
 * The statistics dashboard's arithmetic, kept pure so that it can be tested without a
 * browser (test/web/stats-logic.spec.ts). Nothing here ever works out a withheld count: a
 * total is taken as published, and one added up from parts of which some were withheld is
 * shown only as "at least" what the published parts add up to.
 */
import type { Service, StatPeriod, StatRow, StatsResponse } from '../../api/types';

export interface StatsFilters {
  from: string;
  to: string;
  period: StatPeriod;
  service: Service | null;
}

/** The dimensions the breakdown is requested by; the bars and the table come from one answer. */
export const BREAKDOWN: readonly ['region', 'topic'] = ['region', 'topic'];

/**
 * The period a question is asked by: the API publishes breakdowns and filtered counts by
 * month or quarter only (days and weeks would difference against them), so a breakdown or a
 * service filter asked by day or week is asked by month.
 */
export function publishedPeriod(
  filters: StatsFilters,
  groupBy: readonly string[] = [],
): StatPeriod {
  const fine = filters.period === 'day' || filters.period === 'week';
  return fine && (groupBy.length > 0 || filters.service) ? 'month' : filters.period;
}

/** The query string of GET /api/stats for these filters (and a breakdown, if any). */
export function statsQuery(
  filters: StatsFilters,
  groupBy: readonly string[] = [],
  format?: 'csv',
): string {
  const params = new URLSearchParams({
    from: filters.from,
    to: filters.to,
    period: publishedPeriod(filters, groupBy),
  });
  if (groupBy.length > 0) params.set('groupBy', groupBy.join(','));
  if (filters.service) params.set('service', filters.service);
  if (format) params.set('format', format);
  return `/api/stats?${params.toString()}`;
}

/** A published value: a number, withheld by disclosure control, or known only from below. */
export type Value =
  { kind: 'count'; count: number } | { kind: 'suppressed' } | { kind: 'atLeast'; count: number };

export const isWithheld = (row: StatRow): boolean => row.suppressed === true || row.count === null;

export function valueOf(row: StatRow): Value {
  return isWithheld(row) ? { kind: 'suppressed' } : { kind: 'count', count: row.count ?? 0 };
}

/** For sorting and drawing: how big a value is known to be (a withheld one: nothing). */
export const knownCount = (value: Value): number => (value.kind === 'suppressed' ? 0 : value.count);

const present = (row: StatRow, dimension: string) =>
  row[dimension] !== undefined && row[dimension] !== null;

/** The periods that occur in an answer, in order. */
export function periodsOf(response: StatsResponse | undefined): string[] {
  const all = new Set<string>();
  for (const row of [...(response?.rows ?? []), ...(response?.totals ?? [])])
    if (typeof row.period === 'string') all.add(row.period);
  return [...all].sort();
}

/**
 * The counts of one period broken down by `dimensions` (a subset of the answer's groupBy):
 * the published cells when they are the whole breakdown, else the published marginal totals,
 * else, for an answer without them, the cells added up (an "at least" where some were
 * withheld). Keys are the dimension values joined by "|".
 */
export function breakdown(
  response: StatsResponse,
  period: string | null,
  dimensions: readonly string[],
): Map<string, Value> {
  const inPeriod = (row: StatRow) => period === null || row.period === period;
  const keyOf = (row: StatRow) => dimensions.map((d) => String(row[d])).join('|');
  const result = new Map<string, Value>();
  const exact =
    dimensions.length === response.groupBy.length &&
    dimensions.every((d) => (response.groupBy as readonly string[]).includes(d));
  if (exact) {
    for (const row of response.rows) if (inPeriod(row)) result.set(keyOf(row), valueOf(row));
    return result;
  }
  const others = response.groupBy.filter((d) => !dimensions.includes(d));
  const totals = (response.totals ?? []).filter(
    (row) =>
      inPeriod(row) &&
      dimensions.every((d) => present(row, d)) &&
      others.every((d) => !present(row, d)),
  );
  if (totals.length > 0) {
    for (const row of totals) result.set(keyOf(row), valueOf(row));
    return result;
  }
  const sums = new Map<string, { count: number; partial: boolean }>();
  for (const row of response.rows) {
    if (!inPeriod(row)) continue;
    const key = keyOf(row);
    const sum = sums.get(key) ?? { count: 0, partial: false };
    if (isWithheld(row)) sum.partial = true;
    else sum.count += row.count ?? 0;
    sums.set(key, sum);
  }
  for (const [key, sum] of sums)
    result.set(
      key,
      !sum.partial
        ? { kind: 'count', count: sum.count }
        : sum.count > 0
          ? { kind: 'atLeast', count: sum.count }
          : { kind: 'suppressed' },
    );
  return result;
}

/** Biggest first; withheld values after every known one, then by key for a stable order. */
export function sortedEntries(values: Map<string, Value>): Array<[string, Value]> {
  const rank = (v: Value) => (v.kind === 'suppressed' ? 1 : 0);
  return [...values].sort(
    ([ka, a], [kb, b]) =>
      rank(a) - rank(b) || knownCount(b) - knownCount(a) || ka.localeCompare(kb),
  );
}

/** Round axis steps (1, 2, 2.5 or 5 times a power of ten; whole numbers), up to `max`. */
export function axisTicks(max: number, ticks = 4): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / ticks;
  const power = 10 ** Math.floor(Math.log10(rough));
  const multiples = power >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10];
  // Counts are whole: a step below 1 would repeat a tick.
  const step = Math.max(1, multiples.map((m) => m * power).find((s) => s >= rough) ?? power * 10);
  const top = Math.ceil(max / step) * step;
  const result: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) result.push(Math.round(v));
  return result;
}

/** "2026-10" → October 2026 in the locale; quarters, ISO weeks and days likewise; else as is. */
export function periodLabel(
  period: string,
  kind: StatPeriod | undefined,
  locale: string,
  words: {
    quarter: (q: number, year: number) => string;
    week: (w: number, year: number) => string;
  },
): string {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(period);
  if (m)
    return new Intl.DateTimeFormat(locale, {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    }).format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
  m = /^(\d{4})-Q([1-4])$/i.exec(period);
  if (m) return words.quarter(Number(m[2]), Number(m[1]));
  m = /^(\d{4})-W(\d{1,2})$/i.exec(period);
  if (m) return words.week(Number(m[2]), Number(m[1]));
  m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m && kind !== 'quarter')
    return new Intl.DateTimeFormat(locale, {
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    }).format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)));
  return period;
}

/** The default range: the start of the month five months back, to today (local dates). */
export function defaultFilters(today: Date): StatsFilters {
  const pad = (n: number) => String(n).padStart(2, '0');
  const iso = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return {
    from: iso(new Date(today.getFullYear(), today.getMonth() - 5, 1)),
    to: iso(today),
    period: 'month',
    service: null,
  };
}
