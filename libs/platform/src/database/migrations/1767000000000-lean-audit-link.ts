import { MigrationInterface, QueryRunner } from 'typeorm';

/** The one update the guard lets through: an unlinked entry given its place in the chain. */
const LINKING = `OLD.chain_pos IS NULL AND NEW.chain_pos IS NOT NULL
           AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
           AND (NEW.seq, NEW.at, NEW.actor_id, NEW.action, NEW.record_type, NEW.record_id, NEW.outcome, NEW.reason, NEW.break_glass, NEW.at_enc)
               IS NOT DISTINCT FROM
               (OLD.seq, OLD.at, OLD.actor_id, OLD.action, OLD.record_type, OLD.record_id, OLD.outcome, OLD.reason, OLD.break_glass, OLD.at_enc)`;

/**
 * What linking an audit entry costs PostgreSQL (issue 14, CPU per contact). The chainer's
 * UPDATE writes every entry a second time, with an entry in each of its indexes, and ran the
 * plpgsql guard once per row.
 * - The guard decides in the trigger's WHEN clause, which PostgreSQL evaluates without calling
 *   a function: the function, which only raises, runs for an update that is not a linking one.
 *   The condition is the function's, with the sealed exact time (`at_enc`) now among the
 *   columns a link must leave alone (the chain covers it; the chainer never changes it).
 *   DELETE gets a trigger of its own, refused as before.
 * - `audit_entries_actor_idx` (actor_id, at) goes: nothing reads entries by actor and time
 *   (the last sign-in has its own partial index; the search reads by record), and every entry
 *   paid for it twice, when appended and when linked.
 * Measured on a copy of the schema (40,000 entries linked in one UPDATE, the backend's CPU from
 * /proc, three pairs of runs on the 2-core machine at load 11, 2026-12-06): 20–24 µs an entry
 * before, 13–17.5 µs after; appending, 17–18 µs before, 12–18 µs after. One contact appends
 * and links one entry.
 */
export class LeanAuditLink1767000000000 implements MigrationInterface {
  name = 'LeanAuditLink1767000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER audit_entries_guard ON audit_entries`);
    await db.query(`
      CREATE OR REPLACE FUNCTION audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_entries is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_entries_guard BEFORE UPDATE ON audit_entries
      FOR EACH ROW WHEN (NOT (${LINKING}))
      EXECUTE FUNCTION audit_entries_guard()`);
    await db.query(`
      CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_guard()`);
    await db.query(`DROP INDEX IF EXISTS audit_entries_actor_idx`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX audit_entries_actor_idx ON audit_entries (actor_id, at)`);
    await db.query(`DROP TRIGGER audit_entries_no_delete ON audit_entries`);
    await db.query(`DROP TRIGGER audit_entries_guard ON audit_entries`);
    await db.query(`
      CREATE OR REPLACE FUNCTION audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.chain_pos IS NULL AND NEW.chain_pos IS NOT NULL
           AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
           AND (NEW.seq, NEW.at, NEW.actor_id, NEW.action, NEW.record_type, NEW.record_id, NEW.outcome, NEW.reason, NEW.break_glass)
               IS NOT DISTINCT FROM
               (OLD.seq, OLD.at, OLD.actor_id, OLD.action, OLD.record_type, OLD.record_id, OLD.outcome, OLD.reason, OLD.break_glass)
        THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_entries is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_entries_guard BEFORE UPDATE OR DELETE ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_guard()`);
  }
}
