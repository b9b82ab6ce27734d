import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Passkeys (WebAuthn, issue 12.4): a second factor phishing cannot replay, required for the
 * roles in PASSKEY_REQUIRED_ROLES.
 *
 * - `passkeys`: one row per registered credential. Everything about the credential (its id,
 *   public key, counter, user handle, name) is sealed under the owner's data key: a seized
 *   security key's credential id cannot be matched against a seized database. Only the owner
 *   and the day it was added are plain.
 * - `passkey_challenges`: the one-time challenge of a ceremony in progress, by ticket; gone
 *   when used or after two minutes. A sign-in ticket whose password was wrong has no user;
 *   its name's keyed hash lets a failed assertion slow that address for that name.
 * - `sessions.second_factor`: how the session's owner proved themselves ('totp' or
 *   'passkey'), so that a code-only session of a passkey role can do nothing but register one.
 */
export class Passkeys1766300000000 implements MigrationInterface {
  name = 'Passkeys1766300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE passkeys (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        sealed bytea NOT NULL,
        added_on date NOT NULL DEFAULT current_date
      )`);
    await db.query(`CREATE INDEX passkeys_user ON passkeys (user_id)`);
    await db.query(`
      CREATE TABLE passkey_challenges (
        id uuid PRIMARY KEY,
        purpose text NOT NULL CHECK (purpose IN ('sign_in', 'register', 'reauthenticate')),
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        name_hash bytea,
        duress boolean NOT NULL DEFAULT false,
        session_id uuid REFERENCES sessions(id) ON DELETE CASCADE,
        challenge text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await db.query(
      `ALTER TABLE sessions ADD COLUMN second_factor text NOT NULL DEFAULT 'totp' CHECK (second_factor IN ('totp', 'passkey'))`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions DROP COLUMN second_factor`);
    await db.query(`DROP TABLE passkey_challenges`);
    await db.query(`DROP TABLE passkeys`);
  }
}
