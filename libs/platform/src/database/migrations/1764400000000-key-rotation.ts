import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key generations, so that keys can rotate and old ones be destroyed. Every key that is not
 * derived from the root secret is random, and kept here only wrapped by a key that is (the
 * keystore key): useless without the key holders' shares. Backups leave this table out and
 * the keystore is exported separately, so that destroying a retired master key here makes
 * every backup taken under it undecryptable.
 *
 * Generation 0 of each kind is the key derived from the root (or, in file custody, read from
 * its file); it has no row until it is retired. `state` moves active → retiring → destroyed;
 * a destroyed row keeps its fingerprint and dates as the record that the key is gone.
 */
export class KeyRotation1764400000000 implements MigrationInterface {
  name = 'KeyRotation1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE key_generations (
        kind text NOT NULL CHECK (kind IN ('master', 'caller', 'audit')),
        generation integer NOT NULL CHECK (generation >= 0),
        key_id bytea NOT NULL CHECK (octet_length(key_id) = 4),
        wrapped bytea,
        state text NOT NULL CHECK (state IN ('active', 'retiring', 'destroyed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        destroy_after timestamptz,
        destroyed_at timestamptz,
        PRIMARY KEY (kind, generation),
        CHECK ((state = 'destroyed') = (destroyed_at IS NOT NULL)),
        CHECK (state <> 'destroyed' OR wrapped IS NULL)
      )`);
    // Which caller-recognition key a caller's hash is under, so that a rotation can find the
    // hashes it has not redone yet (and resume after a crash).
    await db.query(`ALTER TABLE callers ADD COLUMN hash_generation integer NOT NULL DEFAULT 0`);
    // The chain switches keys at these entries; the chainer and the verifier look them up.
    await db.query(
      `CREATE INDEX audit_entries_key_rotated_idx ON audit_entries (chain_pos) WHERE action = 'audit.key.rotated'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX audit_entries_key_rotated_idx`);
    await db.query(`ALTER TABLE callers DROP COLUMN hash_generation`);
    await db.query(`DROP TABLE key_generations`);
  }
}
