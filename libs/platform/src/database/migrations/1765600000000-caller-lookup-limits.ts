import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Asking whether a phone number ever called is limited per account and hour (issue 12.2):
 * the count of this hour's lookups per account, kept two hours. It holds no number and no
 * caller; which caller was looked up is in the audit trail, under a keyed pseudonym.
 *
 * A notification about a person's conduct (a burst of lookups) names the staff member it is
 * about, not a case.
 */
export class CallerLookupLimits1765600000000 implements MigrationInterface {
  name = 'CallerLookupLimits1765600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE caller_lookup_windows (
        user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        window_start timestamptz NOT NULL,
        lookups      integer NOT NULL,
        PRIMARY KEY (user_id, window_start)
      )`);
    await db.query(`ALTER TABLE notifications ADD COLUMN about_user_id uuid REFERENCES users (id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE notifications DROP COLUMN about_user_id`);
    await db.query(`DROP TABLE caller_lookup_windows`);
  }
}
