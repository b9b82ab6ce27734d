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
 * Marks days (YYYY-MM-DD in STATS_TIMEZONE) whose statistics must be rebuilt, in the
 * transaction that changed them; the next `stats-rollup` job (statsRollupJob) rebuilds them.
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
