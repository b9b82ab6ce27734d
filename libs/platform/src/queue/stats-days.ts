import { EntityManager } from 'typeorm';

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) of `moment` in `timeZone`: the statistics' day of a contact. */
export function statsDayOf(moment: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA writes dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dayFormats.set(timeZone, format);
  }
  return format.format(moment);
}

/**
 * The Monday of the week a day (YYYY-MM-DD) falls in, as YYYY-MM-DD. Per-call rows keep the
 * week in the clear, not the day: a day's share of a service varies enough to attach it to
 * that day's calls, a week's does not (docs/security/metadata.md, "Weeks").
 */
export function weekOfDay(day: string): string {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a day: ${day}`);
  const back = (new Date(ms).getUTCDay() + 6) % 7;
  return new Date(ms - back * 86_400_000).toISOString().slice(0, 10);
}

/** The week (its Monday, YYYY-MM-DD) `moment` falls in, in `timeZone`. */
export function statsWeekOf(moment: Date, timeZone: string): string {
  return weekOfDay(statsDayOf(moment, timeZone));
}

/** The seven days of a week given by its Monday. */
export function daysOfWeek(week: string): string[] {
  const ms = Date.parse(`${week}T00:00:00Z`);
  return Array.from({ length: 7 }, (_, i) =>
    new Date(ms + i * 86_400_000).toISOString().slice(0, 10),
  );
}

/**
 * Days (YYYY-MM-DD, in order) in groups of whole weeks, `weeks` weeks to a group, in order: a
 * read of a group's contacts reads each week once (the clear dates contacts by the week).
 */
export function daysByWeek(days: readonly string[], weeks = 1): string[][] {
  const byWeek = new Map<string, string[]>();
  for (const day of days) {
    const week = weekOfDay(day);
    byWeek.set(week, [...(byWeek.get(week) ?? []), day]);
  }
  const all = [...byWeek.values()];
  const groups: string[][] = [];
  for (let i = 0; i < all.length; i += weeks) groups.push(all.slice(i, i + weeks).flat());
  return groups;
}

/**
 * Marks days (YYYY-MM-DD in STATS_TIMEZONE) whose statistics must be counted again from their
 * contacts, in the transaction that changed them (what is not a new contact: a withdrawn
 * statistics consent, a retired part sealed late); the next `stats-rollup` job rebuilds them.
 *
 * `stats_dirty_days` has no unique key on purpose: a conflict would make this insert a no-op
 * against a row the builder may claim before this transaction commits, and the contact would
 * wait for the nightly rebuild. An unconstrained insert never waits and is never lost; the
 * builder claims whatever is committed and leaves the rest for its next run.
 */
export async function markStatsDays(em: EntityManager, days: readonly string[]): Promise<void> {
  const distinct = [...new Set(days)];
  if (distinct.length === 0) return;
  await em.query(`INSERT INTO stats_dirty_days (day) SELECT unnest($1::date[])`, [distinct]);
}
