import { protectTable } from './disclosure';
import { Period, periodLabel } from './periods';

/**
 * How the statistics' period levels are kept from being differenced (issue 12, point 3;
 * docs/security/statistics-differencing.md). Everything the API releases about a month's
 * data is read off one protected table of that month, or added up from released values:
 *
 * - plain totals: the month's table by day, protected as one table, gives each day and the
 *   month; a week is the sum of its released days, a quarter of its released months;
 * - breakdowns: the month's table by its dimensions; a quarter's cell is the sum of its
 *   months' released cells;
 * - a sum with a suppressed part is suppressed.
 *
 * A sum of released values says nothing new, so the only equations an attacker gets are
 * those of each month's own tables, which disclosure control already protects.
 */

/** The sum of released values; suppressed (null) when any of them is. */
export function sumReleased(values: Iterable<number | null>): number | null {
  let sum = 0;
  for (const value of values) {
    if (value === null) return null;
    sum += value;
  }
  return sum;
}

export interface ProtectedMonthTotals {
  /** Each day with contacts, released or suppressed; a day not listed had none. */
  readonly days: ReadonlyMap<string, number | null>;
  readonly total: number | null;
  /** Contacts without statistics consent, which count in the total and in no breakdown. */
  readonly excluded: number | null;
}

/**
 * One month's plain totals, by day and for the month, protected as one table so that the
 * month's total cannot be differenced against its days; and the month's count of contacts
 * without statistics consent. The breakdowns' consented total is taken as public (a breakdown
 * by channel adds up to it), and the plain total is it plus that count, so the two stand or
 * fall together: a count below k (but not 0) suppresses the month's total, with its largest
 * day so that the days do not add up to it; and a total suppressed for its days' sake
 * suppresses the count, whatever it is.
 */
export function protectMonthTotals(
  days: ReadonlyArray<{ day: string; count: number }>,
  excluded: number,
  k: number,
): ProtectedMonthTotals {
  const nonZero = days.filter((d) => d.count > 0);
  if (nonZero.length === 0) return { days: new Map(), total: 0, excluded: 0 };
  const table = protectTable({
    dimensions: ['day'],
    cells: nonZero.map((d) => ({ key: [d.day], count: d.count })),
    k,
  });
  const released = new Map(table.cells.map((c) => [c.key[0], c.count]));
  const total = table.totals.find((t) => t.dimensions.length === 0)!.count;
  if (total === null) return { days: released, total, excluded: null };
  if (excluded > 0 && excluded < k) {
    const largest = [...nonZero].sort((a, b) => b.count - a.count || (a.day < b.day ? -1 : 1))[0];
    released.set(largest.day, null);
    return { days: released, total: null, excluded: null };
  }
  return { days: released, total, excluded };
}

/** The labels of the periods a range of days falls in, in order. */
export function periodsOfDays(period: Period, days: readonly string[]): string[] {
  return [...new Set(days.map((d) => periodLabel(period, d)))];
}

/**
 * Released values of fine periods (days or months, with a key each) added up into the
 * periods of `period` they fall in. `firstDay` gives a fine period's first day.
 */
export function aggregateReleased(
  period: Period,
  fine: ReadonlyArray<{ period: string; key: readonly string[]; count: number | null }>,
  firstDay: (finePeriod: string) => string,
): Array<{ period: string; key: readonly string[]; count: number | null }> {
  // A four-way quarter adds up thousands of values per request: label each fine period once,
  // and key the groups by plain strings (values hold no NUL).
  const labels = new Map<string, string>();
  const groups = new Map<
    string,
    { period: string; key: readonly string[]; count: number | null }
  >();
  for (const value of fine) {
    let label = labels.get(value.period);
    if (label === undefined) {
      label = periodLabel(period, firstDay(value.period));
      labels.set(value.period, label);
    }
    const id = `${label}\u0000${value.key.join('\u0000')}`;
    const group = groups.get(id);
    if (!group) groups.set(id, { period: label, key: value.key, count: value.count });
    else
      group.count = group.count === null || value.count === null ? null : group.count + value.count;
  }
  return [...groups.values()];
}
