import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Limits on what one staff account may do in an hour or a day (issue 12): asking whether a
 * phone number ever called (per hour), declining cases claimed from the pool, withdrawing
 * callers' consent (per day). A row
 * is an account, a kind, the window's start and a count, kept two days: no number, caller or
 * case. Which caller was looked up is in the audit trail, under a keyed pseudonym.
 *
 * A notification about a person's conduct (a burst of lookups) names the staff member it is
 * about, not a case.
 */
export class StaffCounters1765600000000 implements MigrationInterface {
  name = 'StaffCounters1765600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE staff_counters (
        user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind         text NOT NULL CHECK (kind IN ('caller_lookup', 'case_decline', 'consent_withdrawal')),
        window_start timestamptz NOT NULL,
        count        integer NOT NULL,
        PRIMARY KEY (user_id, kind, window_start)
      )`);
    await db.query(`ALTER TABLE notifications ADD COLUMN about_user_id uuid REFERENCES users (id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE notifications DROP COLUMN about_user_id`);
    await db.query(`DROP TABLE staff_counters`);
  }
}
