import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sealed key custody keeps only a check value here, never a key: enough to refuse a wrong
 * rebuild of the root secret, useless for deriving it. The lockdown epoch lets a process that
 * missed a lockdown's NOTIFY notice it, and stops peers unsealing each other across one.
 */
export class KeyCustody1764300000000 implements MigrationInterface {
  name = 'KeyCustody1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE key_custody (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        custody_id bytea NOT NULL CHECK (octet_length(custody_id) = 8),
        threshold smallint NOT NULL CHECK (threshold >= 2),
        holders smallint NOT NULL CHECK (holders >= threshold AND holders <= 255),
        check_value bytea NOT NULL,
        -- HMAC under the node credential of the row above: a row written by anyone without
        -- it (a database-only attacker swapping in a root of their own) is refused.
        pin bytea NOT NULL,
        lockdown_epoch bigint NOT NULL DEFAULT 0,
        locked_down_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A second password whose use signs in as usual and silently seals everything.
    await db.query(`ALTER TABLE users ADD COLUMN duress_password_hash text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users DROP COLUMN duress_password_hash`);
    await db.query(`DROP TABLE key_custody`);
  }
}
