export const PERIODS = ['day', 'week', 'month', 'quarter'] as const;
export type Period = (typeof PERIODS)[number];

/** What a rollup row covers: a day, or a month. */
export type Grain = 'day' | 'month';

/** Days and ISO weeks come from the daily rollup; months and quarters from the monthly one. */
export const GRAIN: Record<Period, Grain> = {
  day: 'day',
  week: 'day',
  month: 'month',
  quarter: 'month',
};

/**
 * The label of the period that a day (or a month's first day) falls in, as answers write it:
 * 2026-10-05, 2026-W41 (the ISO week and its ISO year), 2026-10, 2026-Q4.
 */
export function periodLabel(period: Period, day: string): string {
  switch (period) {
    case 'day':
      return day;
    case 'week': {
      const date = parseDate(day);
      // The ISO week is the one its Thursday falls in, and so is its year.
      const thursday = new Date(date.getTime() + (3 - ((date.getUTCDay() + 6) % 7)) * DAY);
      const year = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
      return `${year}-W${String(week).padStart(2, '0')}`;
    }
    case 'month':
      return day.slice(0, 7);
    case 'quarter':
      return `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;
  }
}

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

/** Every day in [start, end), as YYYY-MM-DD. */
export function daysBetween(start: string, end: string): string[] {
  const days: string[] = [];
  const last = parseDate(end).getTime();
  for (let t = parseDate(start).getTime(); t < last; t += DAY) days.push(iso(new Date(t)));
  return days;
}

/** The first day of the month after the one `day` falls in. */
export function nextMonth(day: string): string {
  const date = parseDate(day);
  return iso(new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)));
}
