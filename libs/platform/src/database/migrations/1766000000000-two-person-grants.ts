import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Separation of duties (issue 12.1). An admin could make an account with a service role, a
 * password they chose and a second factor set up with it, and read cases through it.
 *
 * - `role_grants_pending`: a grant of a role that needs two people (every role but
 *   `volunteer`) is a row here until a person on the other side (an admin for a
 *   coordinator's proposal, a coordinator for an admin's) confirms or rejects it. Like other
 *   open work, only the day of the proposal is in the clear; the moment is sealed.
 * - `users.roles_confirmed_by`: who confirmed the last grant; like its proposer, they may not
 *   hand the account cases while the grant is fresh (mayReassignTo).
 * - `enrolment_codes`: an account made through the API has no password until its owner
 *   enrols with a one-time code (24 h). Only the code's SHA-256 is kept: it is 160 random
 *   bits, so a hash is enough to make a seized row useless.
 */
export class TwoPersonGrants1766000000000 implements MigrationInterface {
  name = 'TwoPersonGrants1766000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE role_grants_pending (
        id            uuid PRIMARY KEY,
        user_id       uuid NOT NULL REFERENCES users (id),
        role          text NOT NULL
                      CHECK (role IN ('lawyer', 'psychologist', 'responder', 'coordinator', 'admin')),
        proposed_by   uuid NOT NULL REFERENCES users (id),
        proposed_as   text NOT NULL CHECK (proposed_as IN ('admin', 'coordinator')),
        proposed_day  timestamptz NOT NULL,
        proposed_enc  bytea NOT NULL,
        state         text NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'confirmed', 'rejected')),
        decided_by    uuid REFERENCES users (id),
        decided_day   timestamptz
      )`);
    await db.query(
      `CREATE UNIQUE INDEX role_grants_pending_open_idx ON role_grants_pending (user_id, role) WHERE state = 'pending'`,
    );
    await db.query(`ALTER TABLE users ADD COLUMN roles_confirmed_by uuid REFERENCES users (id)`);
    await db.query(`
      CREATE TABLE enrolment_codes (
        user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        code_hash   bytea NOT NULL UNIQUE,
        expires_at  timestamptz NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE enrolment_codes`);
    await db.query(`ALTER TABLE users DROP COLUMN roles_confirmed_by`);
    await db.query(`DROP TABLE role_grants_pending`);
  }
}
