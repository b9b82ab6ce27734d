import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit chain moves out of the insert path. Appending used to take a global lock until
 * commit to extend a SHA-256 chain, which serialised every transaction that audits (every
 * intake, every decision) at about 600 a second. Entries are now appended with no lock, and a
 * chainer in the worker links them, in batches, into an HMAC-SHA256 chain keyed by a key
 * derived from the master key: someone who can write to the database but does not hold the
 * key can no longer recompute the chain after editing it.
 *
 * The append-only guard still refuses every UPDATE, DELETE and TRUNCATE, except the one
 * update that fills in an unlinked entry's place in the chain, and nothing else.
 */
export class AuditChainHmac1764100000000 implements MigrationInterface {
  name = 'AuditChainHmac1764100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER audit_entries_chain ON audit_entries`);
    await db.query(`DROP FUNCTION audit_entries_chain()`);
    await db.query(`DROP TRIGGER audit_entries_no_update ON audit_entries`);
    await db.query(
      `ALTER TABLE audit_entries ALTER COLUMN seq SET DEFAULT nextval('audit_entries_seq')`,
    );
    await db.query(`ALTER SEQUENCE audit_entries_seq OWNED BY audit_entries.seq`);
    await db.query(
      `ALTER TABLE audit_entries ALTER COLUMN at SET DEFAULT date_trunc('milliseconds', clock_timestamp())`,
    );
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN prev_hash DROP NOT NULL`);
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN hash DROP NOT NULL`);
    await db.query(`ALTER TABLE audit_entries ADD COLUMN chain_pos bigint`);
    // Entries chained the old way are linked again, under the key.
    await db.query(`UPDATE audit_entries SET prev_hash = NULL, hash = NULL`);
    await db.query(
      `CREATE UNIQUE INDEX audit_entries_chain_pos_key ON audit_entries (chain_pos) WHERE chain_pos IS NOT NULL`,
    );
    await db.query(
      `CREATE INDEX audit_entries_unchained_idx ON audit_entries (seq) WHERE chain_pos IS NULL`,
    );
    await db.query(`
      CREATE FUNCTION audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

    // The outbox no longer NOTIFYs: a notifying transaction takes a global lock at commit,
    // which capped intake at about 1,200 a second. The relay polls instead (see OutboxRelay).
    await db.query(`DROP TRIGGER outbox_notify ON outbox`);
    await db.query(`DROP FUNCTION outbox_notify()`);
  }

  /** Back to the per-insert SHA-256 chain, recomputed over every entry in sequence order. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('mayak_outbox', '');
        RETURN NULL;
      END $$`);
    await db.query(
      `CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`,
    );
    await db.query(`DROP TRIGGER audit_entries_guard ON audit_entries`);
    await db.query(`DROP FUNCTION audit_entries_guard()`);
    await db.query(`DROP INDEX audit_entries_unchained_idx`);
    await db.query(`DROP INDEX audit_entries_chain_pos_key`);
    await db.query(`ALTER TABLE audit_entries DROP COLUMN chain_pos`);
    await db.query(`
      DO $$
      DECLARE
        r record;
        previous bytea := decode(repeat('00', 32), 'hex');
      BEGIN
        FOR r IN SELECT * FROM audit_entries ORDER BY seq LOOP
          UPDATE audit_entries SET prev_hash = previous, hash = sha256(previous || convert_to(concat_ws(chr(31),
              r.seq::text, ((extract(epoch FROM r.at) * 1000)::bigint)::text, coalesce(r.actor_id::text, ''), r.action,
              coalesce(r.record_type, ''), coalesce(r.record_id, ''), r.outcome, coalesce(r.reason, ''), r.break_glass::text), 'UTF8'))
           WHERE seq = r.seq RETURNING hash INTO previous;
        END LOOP;
      END $$`);
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN prev_hash SET NOT NULL`);
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN hash SET NOT NULL`);
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN at DROP DEFAULT`);
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN seq DROP DEFAULT`);
    await db.query(`
      CREATE FUNCTION audit_entries_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        previous bytea;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('mayak.audit_entries'));
        SELECT hash INTO previous FROM audit_entries ORDER BY seq DESC LIMIT 1;
        NEW.seq := nextval('audit_entries_seq');
        NEW.at := date_trunc('milliseconds', clock_timestamp());
        NEW.prev_hash := coalesce(previous, decode(repeat('00', 32), 'hex'));
        NEW.hash := sha256(NEW.prev_hash || convert_to(concat_ws(chr(31), NEW.seq::text,
          ((extract(epoch FROM NEW.at) * 1000)::bigint)::text, coalesce(NEW.actor_id::text, ''), NEW.action,
          coalesce(NEW.record_type, ''), coalesce(NEW.record_id, ''), NEW.outcome, coalesce(NEW.reason, ''),
          NEW.break_glass::text), 'UTF8'));
        RETURN NEW;
      END $$`);
    await db.query(
      `CREATE TRIGGER audit_entries_chain BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_chain()`,
    );
    await db.query(`
      CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()`);
  }
}
