import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics rollups kept current by adding what is new (issue 14, point 1). Intake marked the
 * day of each new contact in `stats_dirty_days`, and the minutely build counted that day again
 * from its whole week of contacts: a run after one intake decrypted every contact of the week,
 * so its cost grew with what was already stored. Now intake marks the contact itself, in
 * `stats_new_contacts`, and the build adds that contact's cells to its day and month
 * (StatsRollupService). `stats_dirty_days` stays for what is not a new contact (a withdrawn
 * statistics consent, plaintext sealed late, a stored day that does not open).
 *
 * A mark holds the contact's id and nothing else: not its day (the clear keeps only the week),
 * and it goes at the next build, within a minute, which the row's own `xmin` says already
 * (RowRestamp leaves the last hour's rows their own).
 */
export class StatsNewContacts1766800000000 implements MigrationInterface {
  name = 'StatsNewContacts1766800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE stats_new_contacts (contact_id uuid PRIMARY KEY)`);
  }

  /** The version before counts the new contacts again from their days: every day of their week. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      INSERT INTO stats_dirty_days (day)
      SELECT DISTINCT generate_series(ct.week::timestamp, ct.week + time '00:00' + interval '6 days', interval '1 day')::date
        FROM stats_new_contacts n JOIN contacts ct ON ct.id = n.contact_id`);
    await db.query(`DROP TABLE stats_new_contacts`);
  }
}
