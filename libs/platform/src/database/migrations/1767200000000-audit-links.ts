import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit chain's links move out of `audit_entries` into an insert-only table of their own
 * (issue 14, CPU per contact). Linking an entry was an UPDATE of its row: not HOT (`chain_pos`
 * is indexed), so every entry was written twice, with an entry in each of its indexes twice
 * (the pseudonym index's at a random leaf each time), and left a dead version to vacuum. Now
 * an entry is written once and never changed; its link is one narrow row in `audit_links`.
 *
 * Which entries still wait for their link cannot be read off `audit_entries` (nothing there
 * changes when one is linked) nor guessed from the sequence (ids are taken at insert, commits
 * land out of id order, and an aborted insert leaves a gap no one can tell from a late one), so
 * a queue says it: `audit_unlinked` holds exactly the ids of the entries without a link. Two
 * statement-level triggers keep it so, in the transactions that write: an insert into
 * `audit_entries` enqueues its rows, an insert into `audit_links` dequeues its rows. Both run
 * as the owner (SECURITY DEFINER): the application's role may only read the queue, so it cannot
 * hide an entry from the chainer by removing it from the queue, nor make it link one twice (and
 * `audit_links.seq` is unique besides).
 *
 * Entries keep no link columns: the guard now refuses every UPDATE of `audit_entries`, with
 * DELETE and TRUNCATE as before; `audit_links` gets the same guard (no UPDATE, DELETE or
 * TRUNCATE), so a link, once written, stays.
 *
 * Measured on a copy of the schema (40,000 entries appended ten a statement and linked by the
 * chainer's statements, then vacuumed; the backend's CPU from /proc; four pairs on the 2-core
 * machine at load 4–6, 2026-12-06): linking 17.8–20.5 µs an entry before, 6.8–9.3 µs after;
 * append, link and vacuum together 47–57 µs before, 36–45 µs after; the link's WAL 700–1,030
 * bytes an entry before, 335–440 after.
 */
export class AuditLinks1767200000000 implements MigrationInterface {
  name = 'AuditLinks1767200000000';

  async up(db: QueryRunner): Promise<void> {
    // Nothing appends or links while the rows move (the chainer waits, appends wait).
    await db.query(`LOCK TABLE audit_entries IN ACCESS EXCLUSIVE MODE`);
    await db.query(`
      CREATE TABLE audit_links (
        chain_pos  bigint PRIMARY KEY CHECK (chain_pos > 0),
        seq        bigint NOT NULL UNIQUE,
        prev_hash  bytea NOT NULL,
        hash       bytea NOT NULL
      )`);
    await db.query(`CREATE TABLE audit_unlinked (seq bigint PRIMARY KEY)`);
    // The links made so far, as they are (the chain covers chain_pos and seq, not where they
    // are stored), and every entry without one, in the queue.
    await db.query(`
      INSERT INTO audit_links (chain_pos, seq, prev_hash, hash)
      SELECT chain_pos, seq, prev_hash, hash FROM audit_entries WHERE chain_pos IS NOT NULL`);
    await db.query(`
      INSERT INTO audit_unlinked (seq) SELECT seq FROM audit_entries WHERE chain_pos IS NULL`);

    await db.query(`DROP TRIGGER audit_entries_guard ON audit_entries`);
    await db.query(`DROP INDEX audit_entries_chain_pos_key`);
    await db.query(`DROP INDEX audit_entries_unchained_idx`);
    await db.query(`DROP INDEX audit_entries_key_rotated_idx`);
    await db.query(`ALTER TABLE audit_entries DROP COLUMN chain_pos`);
    await db.query(`ALTER TABLE audit_entries DROP COLUMN prev_hash`);
    await db.query(`ALTER TABLE audit_entries DROP COLUMN hash`);
    // The chainer follows key rotations through these few entries, in chain order.
    await db.query(
      `CREATE INDEX audit_entries_key_rotated_idx ON audit_entries (seq) WHERE action = 'audit.key.rotated'`,
    );
    // audit_entries_guard() raises and nothing else: every UPDATE is refused now.
    await db.query(`
      CREATE TRIGGER audit_entries_guard BEFORE UPDATE ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_guard()`);
    await db.query(`
      CREATE TRIGGER audit_links_guard BEFORE UPDATE OR DELETE ON audit_links
      FOR EACH ROW EXECUTE FUNCTION audit_entries_guard()`);
    await db.query(`
      CREATE TRIGGER audit_links_no_truncate BEFORE TRUNCATE ON audit_links
      FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_guard()`);

    await db.query(`
      CREATE FUNCTION audit_entries_enqueue() RETURNS trigger LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      BEGIN
        INSERT INTO public.audit_unlinked (seq) SELECT seq FROM appended;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_entries_enqueue AFTER INSERT ON audit_entries
      REFERENCING NEW TABLE AS appended
      FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_enqueue()`);
    await db.query(`
      CREATE FUNCTION audit_links_dequeue() RETURNS trigger LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      BEGIN
        DELETE FROM public.audit_unlinked q USING linked l WHERE q.seq = l.seq;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_links_dequeue AFTER INSERT ON audit_links
      REFERENCING NEW TABLE AS linked
      FOR EACH STATEMENT EXECUTE FUNCTION audit_links_dequeue()`);
    // The application's role: read and append links, only read the queue (ensureAppRole says
    // the same for databases it sets up later; default privileges granted it more).
    const app = (await db.query(
      `SELECT grantee FROM information_schema.role_table_grants
        WHERE table_name = 'audit_links' AND grantee <> current_user AND grantee <> 'PUBLIC'`,
    )) as Array<{ grantee: string }>;
    for (const { grantee } of app) {
      const r = `"${grantee.replace(/"/g, '""')}"`;
      await db.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_links FROM ${r}`);
      await db.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_unlinked FROM ${r}`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`LOCK TABLE audit_entries IN ACCESS EXCLUSIVE MODE`);
    await db.query(`DROP TRIGGER audit_entries_enqueue ON audit_entries`);
    await db.query(`DROP FUNCTION audit_entries_enqueue()`);
    await db.query(`DROP TRIGGER audit_entries_guard ON audit_entries`);
    await db.query(`DROP INDEX audit_entries_key_rotated_idx`);
    await db.query(`ALTER TABLE audit_entries ADD COLUMN prev_hash bytea`);
    await db.query(`ALTER TABLE audit_entries ADD COLUMN hash bytea`);
    await db.query(`ALTER TABLE audit_entries ADD COLUMN chain_pos bigint`);
    await db.query(`
      UPDATE audit_entries e SET chain_pos = l.chain_pos, prev_hash = l.prev_hash, hash = l.hash
        FROM audit_links l WHERE l.seq = e.seq`);
    await db.query(`DROP TABLE audit_links`);
    await db.query(`DROP FUNCTION audit_links_dequeue()`);
    await db.query(`DROP TABLE audit_unlinked`);
    await db.query(
      `CREATE UNIQUE INDEX audit_entries_chain_pos_key ON audit_entries (chain_pos) WHERE chain_pos IS NOT NULL`,
    );
    await db.query(
      `CREATE INDEX audit_entries_unchained_idx ON audit_entries (seq) WHERE chain_pos IS NULL`,
    );
    await db.query(
      `CREATE INDEX audit_entries_key_rotated_idx ON audit_entries (chain_pos) WHERE action = 'audit.key.rotated'`,
    );
    await db.query(`
      CREATE TRIGGER audit_entries_guard BEFORE UPDATE ON audit_entries
      FOR EACH ROW WHEN (NOT (OLD.chain_pos IS NULL AND NEW.chain_pos IS NOT NULL
           AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
           AND (NEW.seq, NEW.at, NEW.actor_id, NEW.action, NEW.record_type, NEW.record_id, NEW.outcome, NEW.reason, NEW.break_glass, NEW.at_enc)
               IS NOT DISTINCT FROM
               (OLD.seq, OLD.at, OLD.actor_id, OLD.action, OLD.record_type, OLD.record_id, OLD.outcome, OLD.reason, OLD.break_glass, OLD.at_enc)))
      EXECUTE FUNCTION audit_entries_guard()`);
  }
}
