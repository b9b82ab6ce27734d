import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A closed case no longer needs its exact times (an SLA, an order in a queue, an escalation
 * clock); a seizure would join them with the telephone records. Once a case is closed the
 * worker seals them (case, events, notes, notifications, pages, expired break-glass grants)
 * into `times_enc`, under the contact's data key, and leaves the day (in STATS_TIMEZONE) in
 * the plaintext columns. `times_sealed` says it is done.
 */
export class CaseTimeSealing1764700000000 implements MigrationInterface {
  name = 'CaseTimeSealing1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE cases ADD COLUMN times_enc bytea`);
    await db.query(`ALTER TABLE cases ADD COLUMN times_sealed boolean NOT NULL DEFAULT false`);
    await db.query(
      `CREATE INDEX cases_times_to_seal_idx ON cases (id) WHERE status = 'closed' AND NOT times_sealed`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX cases_times_to_seal_idx`);
    await db.query(`ALTER TABLE cases DROP COLUMN times_sealed`);
    await db.query(`ALTER TABLE cases DROP COLUMN times_enc`);
  }
}
