/**
 * The statistics dashboard's arithmetic, kept pure so that it can be tested without a
 * browser (test/web/stats-logic.spec.ts). Nothing here ever works out a withheld count: a
 * total is taken as published, and one added up from parts of which some were withheld is
 * shown only as "at least" what the published parts add up to.
 */
import type { Service, StatPeriod, StatRow, StatsResponse } from '../../api/types';
import { addDays, formatDate } from '../../i18n/dates';
import type { Language } from '../../i18n/language';
import { LOCALES } from '../../i18n/language';

export type Measure = 'contacts' | 'cases';

/** What GET /api/stats breaks each measure down by (libs/statistics: DIMENSIONS, CASE_DIMENSIONS). */
export const DIMENSIONS_OF: Record<Measure, readonly string[]> = {
  contacts: [
    'region',
    'topic',
    'channel',
    'service',
    'outcome',
    'ageBand',
    'genderIdentity',
    'immediateRisk',
  ],
  cases: ['service', 'status', 'outcome', 'region'],
};

export interface StatsFilters {
  from: string;
  to: string;
  period: StatPeriod;
  service: Service | null;
  measure: Measure;
  /** The dimension the breakdown is by: one of DIMENSIONS_OF[measure]. */
  dimension: string;
}

/** The zone GET /api/stats counts days in when the server has not said (STATS_TIMEZONE's default). */
export const DEFAULT_STATS_ZONE = 'Europe/Moscow';

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
  options: { withPrevious?: boolean } = {},
): string {
  const period = publishedPeriod(filters, groupBy);
  const params = new URLSearchParams({
    // With the period before the first, so that the first can be compared too.
    from: options.withPrevious ? previousPeriodStart(period, filters.from) : filters.from,
    to: filters.to,
    period,
  });
  if (groupBy.length > 0) params.set('groupBy', groupBy.join(','));
  if (filters.measure === 'cases') params.set('measure', 'cases');
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

/** The periods that occur in an answer, in order. */
export function periodsOf(response: StatsResponse | undefined): string[] {
  const all = new Set<string>();
  for (const row of response?.rows ?? []) if (typeof row.period === 'string') all.add(row.period);
  return [...all].sort();
}

/**
 * The counts of one period broken down by `dimensions` (a subset of the answer's groupBy):
 * the published cells when they are the whole breakdown, else the cells added up (an "at
 * least" where some were withheld): the API publishes no marginal totals of a breakdown.
 * Keys are the dimension values joined by "|".
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

/** The first day of the period (of that length) a day falls in: the day, its ISO week's Monday, … */
export function periodStart(period: StatPeriod, day: string): string {
  switch (period) {
    case 'day':
      return day;
    case 'week': {
      const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday is 0
      return addDays(day, -weekday);
    }
    case 'month':
      return `${day.slice(0, 7)}-01`;
    case 'quarter': {
      const month = Number(day.slice(5, 7));
      return `${day.slice(0, 4)}-${String(month - ((month - 1) % 3)).padStart(2, '0')}-01`;
    }
  }
}

/** The last day of the period that starts on `start`. */
export function periodEnd(period: StatPeriod, start: string): string {
  switch (period) {
    case 'day':
      return start;
    case 'week':
      return addDays(start, 6);
    case 'month':
    case 'quarter': {
      const months = period === 'month' ? 1 : 3;
      const [y, m] = start.split('-').map(Number) as [number, number];
      return new Date(Date.UTC(y, m - 1 + months, 0)).toISOString().slice(0, 10);
    }
  }
}

/** The first day of the period before the one `day` falls in (same length, just before). */
export const previousPeriodStart = (period: StatPeriod, day: string): string =>
  periodStart(period, addDays(periodStart(period, day), -1));

/**
 * The days a period of an answer covers, from its label (2026-10-05, 2026-W41, 2026-10,
 * 2026-Q4): first and last, inclusive. Null for a label it does not know.
 */
export function periodBounds(
  label: string,
): { period: StatPeriod; start: string; end: string } | null {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(label);
  if (m) return { period: 'day', start: label, end: label };
  m = /^(\d{4})-W(\d{2})$/.exec(label);
  if (m) {
    // ISO week 1 is the one with 4 January in it.
    const start = addDays(periodStart('week', `${m[1]}-01-04`), (Number(m[2]) - 1) * 7);
    return { period: 'week', start, end: periodEnd('week', start) };
  }
  m = /^(\d{4})-(\d{2})$/.exec(label);
  if (m) return { period: 'month', start: `${label}-01`, end: periodEnd('month', `${label}-01`) };
  m = /^(\d{4})-Q([1-4])$/.exec(label);
  if (m) {
    const start = `${m[1]}-${String((Number(m[2]) - 1) * 3 + 1).padStart(2, '0')}-01`;
    return { period: 'quarter', start, end: periodEnd('quarter', start) };
  }
  return null;
}

/** A period not over yet on `today` (YYYY-MM-DD in the statistics' zone): its counts are partial. */
export function isPartial(label: string, today: string): boolean {
  const bounds = periodBounds(label);
  return bounds !== null && bounds.end >= today;
}

/**
 * The breakdown's period until one is chosen: the last of `periods` that the range [.., `to`]
 * holds whole, so that a range of complete weeks does not open on the month still under way
 * that its last week began (nothing partial unless asked for); a range that runs to `today`
 * asks for today's period, and one that holds none whole opens on its last.
 */
export function defaultBreakdownPeriod(
  periods: readonly string[],
  to: string,
  today: string,
): string | null {
  const last = periods[periods.length - 1] ?? null;
  if (to >= today) return last;
  const whole = periods.filter((p) => {
    const bounds = periodBounds(p);
    return bounds !== null && bounds.end <= to;
  });
  return whole[whole.length - 1] ?? last;
}

/** The period of an answer before this one (same length, just before): its label. */
export function previousLabel(label: string): string | null {
  const bounds = periodBounds(label);
  if (!bounds) return null;
  const start = previousPeriodStart(bounds.period, bounds.start);
  return labelOf(bounds.period, start);
}

/**
 * Every period of a length that [from, to] touches, as answers label them: an answer leaves
 * out a period with nothing in it, and the dashboard shows it as 0 rather than skip it.
 */
export function periodsBetween(period: StatPeriod, from: string, to: string): string[] {
  const labels: string[] = [];
  for (
    let start = periodStart(period, from);
    start <= to;
    start = addDays(periodEnd(period, start), 1)
  )
    labels.push(labelOf(period, start));
  return labels;
}

/** The label an answer writes for the period starting on `start` (libs/statistics periodLabel). */
function labelOf(period: StatPeriod, start: string): string {
  switch (period) {
    case 'day':
      return start;
    case 'week': {
      const thursday = addDays(start, 3); // the ISO week and its year are its Thursday's
      const year = thursday.slice(0, 4);
      const days = (Date.parse(thursday) - Date.parse(`${year}-01-01`)) / 86_400_000;
      return `${year}-W${String(Math.floor(days / 7) + 1).padStart(2, '0')}`;
    }
    case 'month':
      return start.slice(0, 7);
    case 'quarter':
      return `${start.slice(0, 4)}-Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1}`;
  }
}

/**
 * A period as people read it, numeric dates in the user's language: "пн 01.12–вс 07.12.2026"
 * for a week, "пн 01.12.2026" for a day, "декабрь 2026 г." for a month, "4-й кв. 2026
 * (01.10–31.12.2026)" for a quarter; a label it does not know as it is.
 */
export function periodLabel(
  label: string,
  language: Language,
  words: { quarter: (q: number, year: number) => string },
): string {
  const bounds = periodBounds(label);
  if (!bounds) return label;
  const locale = LOCALES[language];
  const weekday = (day: string) =>
    new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' }).format(
      new Date(`${day}T00:00:00Z`),
    );
  const dayMonth = (day: string) => formatDate(day, language).slice(0, 5);
  const range = `${dayMonth(bounds.start)}–${formatDate(bounds.end, language)}`;
  switch (bounds.period) {
    case 'day':
      return `${weekday(bounds.start)} ${formatDate(bounds.start, language)}`;
    case 'week':
      return `${weekday(bounds.start)} ${dayMonth(bounds.start)}–${weekday(bounds.end)} ${formatDate(bounds.end, language)}`;
    case 'month':
      return new Intl.DateTimeFormat(locale, {
        month: 'long',
        year: 'numeric',
        timeZone: 'UTC',
      }).format(new Date(`${bounds.start}T00:00:00Z`));
    case 'quarter':
      return `${words.quarter(Number(label.slice(-1)), Number(label.slice(0, 4)))} (${range})`;
  }
}

/** How many whole periods the dashboard shows at first, ending with the last complete one. */
const DEFAULT_COUNT: Record<StatPeriod, number> = { day: 14, week: 8, month: 6, quarter: 4 };

/**
 * The default range for a period length: the last few complete periods, ending with the one
 * before today's (`today`: YYYY-MM-DD in the statistics' time zone), so that nothing partial
 * is shown unless asked for.
 */
export function defaultRange(period: StatPeriod, today: string): { from: string; to: string } {
  const to = addDays(periodStart(period, today), -1);
  let from = periodStart(period, to);
  for (let i = 1; i < DEFAULT_COUNT[period]; i += 1) from = previousPeriodStart(period, from);
  return { from, to };
}

export function defaultFilters(today: string): StatsFilters {
  return {
    ...defaultRange('month', today),
    period: 'month',
    service: null,
    measure: 'contacts',
    dimension: 'region',
  };
}

/** A change from one published value to the next; unknown when either was withheld. */
export type Change =
  { kind: 'change'; delta: number; percent: number | null } | { kind: 'unknown' };

export function change(current: Value, previous: Value): Change {
  if (current.kind !== 'count' || previous.kind !== 'count') return { kind: 'unknown' };
  const delta = current.count - previous.count;
  return {
    kind: 'change',
    delta,
    percent: previous.count === 0 ? null : Math.round((delta / previous.count) * 1000) / 10,
  };
}

export interface ComparedRow {
  key: string;
  current: Value;
  previous: Value;
  change: Change;
}

/**
 * One period's breakdown by one dimension beside the period before it, from one answer that
 * has both. A value the answer does not list is 0 (it publishes every non-zero cell, a
 * withheld one as withheld), except in a period withheld whole, where every value is
 * withheld. Nothing is worked out from totals.
 */
export function compareBreakdown(
  response: StatsResponse,
  period: string,
  previous: string | null,
  dimension: string,
): ComparedRow[] {
  const withheld = new Set(response.withheldPeriods ?? []);
  const read = (p: string | null) =>
    p === null ? new Map<string, Value>() : breakdown(response, p, [dimension]);
  const now = read(period);
  const before = read(previous);
  const valueIn = (values: Map<string, Value>, p: string | null, key: string): Value =>
    p === null || withheld.has(p)
      ? { kind: 'suppressed' }
      : (values.get(key) ?? { kind: 'count', count: 0 });
  const keys = [...new Set([...now.keys(), ...before.keys()])];
  const rows = keys.map((key) => {
    const current = valueIn(now, period, key);
    const prior = valueIn(before, previous, key);
    return { key, current, previous: prior, change: change(current, prior) };
  });
  const order = new Map(
    sortedEntries(new Map(rows.map((r) => [r.key, r.current]))).map(([k], i) => [k, i]),
  );
  return rows.sort((a, b) => order.get(a.key)! - order.get(b.key)!);
}

/**
 * The server's CSV (codes only, the stable columns) with each code's name in the reader's
 * language beside it: a column `<dimension>_name` after each dimension's column.
 */
export function csvWithNames(
  csv: string,
  dimensions: readonly string[],
  name: (dimension: string, code: string) => string,
): string {
  const lines = csv.split(/\r\n/).filter((line) => line !== '');
  if (lines.length === 0) return csv;
  const rows = lines.map(splitCsvLine);
  const header = rows[0]!;
  const named = header
    .map((column, index) => (dimensions.includes(column) ? index : -1))
    .filter((index) => index >= 0);
  const out = rows.map((row, r) =>
    row.flatMap((field, index) =>
      named.includes(index)
        ? [field, r === 0 ? `${field}_name` : name(header[index]!, field)]
        : [field],
    ),
  );
  return `${out.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** As the server writes fields (libs/statistics csv.ts): quoted when needed, formulas defused. */
function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
