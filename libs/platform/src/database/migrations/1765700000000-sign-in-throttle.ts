import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed sign-ins slow down the address they come from, for the name they try, with growing
 * delays; they no longer lock the account (issue 12.4). Five failures from five addresses
 * locked the on-call responder out for 15 minutes, right password and code or not.
 *
 * A row is a keyed hash of the username tried (existing or not, so that a delay does not tell
 * which names exist), a keyed hash of the client address, the failures from there and until
 * when the next attempt is refused. Kept a day after the last failure. The account's own
 * failure count and lock go.
 */
export class SignInThrottle1765700000000 implements MigrationInterface {
  name = 'SignInThrottle1765700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE sign_in_throttle (
        name_hash       bytea NOT NULL,
        source_hash     bytea NOT NULL,
        failures        integer NOT NULL,
        blocked_until   timestamptz,
        last_failure_at timestamptz NOT NULL,
        PRIMARY KEY (name_hash, source_hash)
      )`);
    await db.query(`ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN locked_until`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE users ADD COLUMN failed_logins integer NOT NULL DEFAULT 0, ADD COLUMN locked_until timestamptz`,
    );
    await db.query(`DROP TABLE sign_in_throttle`);
  }
}
