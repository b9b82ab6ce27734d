import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A withdrawal that would destroy records a volunteer did not log on this call waits for a
 * coordinator (issue 12.2): a volunteer could log a fake contact with a target's number and
 * withdraw every scope, destroying the caller's legal notes. Such a withdrawal is a row here:
 * who asked, on which day, the scopes; the caller it is for and the exact moment are sealed
 * (the caller's link to a time is what a seizure must not find). It is applied once a
 * coordinator confirmed it and the day after the next has begun (at least 24 h).
 */
export class PendingWithdrawals1765800000000 implements MigrationInterface {
  name = 'PendingWithdrawals1765800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE pending_withdrawals (
        id             uuid PRIMARY KEY,
        caller_enc     bytea NOT NULL,
        scopes         text[] NOT NULL,
        requested_by   uuid NOT NULL REFERENCES users (id),
        requested_day  timestamptz NOT NULL,
        requested_enc  bytea NOT NULL,
        status         text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'confirmed', 'rejected', 'applied')),
        decided_by     uuid REFERENCES users (id),
        decided_day    timestamptz
      )`);
    await db.query(
      `CREATE INDEX pending_withdrawals_open_idx ON pending_withdrawals (requested_day) WHERE status IN ('pending', 'confirmed')`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE pending_withdrawals`);
  }
}
