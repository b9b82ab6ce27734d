import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts and sessions, the hash-chained audit trail, and the transactional outbox.
 */
export class Foundation1763700000000 implements MigrationInterface {
  name = 'Foundation1763700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id              uuid PRIMARY KEY,
        username        text NOT NULL,
        password_hash   text NOT NULL,
        roles           text[] NOT NULL DEFAULT '{}',
        dek_wrapped     bytea NOT NULL,
        totp_secret_enc bytea,
        totp_enrolled   boolean NOT NULL DEFAULT false,
        totp_last_step  bigint,
        failed_logins   integer NOT NULL DEFAULT 0,
        locked_until    timestamptz,
        disabled_at     timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_roles_known CHECK (roles <@ ARRAY['volunteer','lawyer','psychologist','responder','coordinator','admin']::text[]),
        CONSTRAINT users_username_shape CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$')
      )`);
    await db.query(`CREATE UNIQUE INDEX users_username_key ON users (username)`);

    await db.query(`
      CREATE TABLE sessions (
        id            uuid PRIMARY KEY,
        token_hash    bytea NOT NULL,
        user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at    timestamptz NOT NULL DEFAULT now(),
        last_seen_at  timestamptz NOT NULL DEFAULT now(),
        expires_at    timestamptz NOT NULL
      )`);
    await db.query(`CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash)`);
    await db.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);

    // The audit trail: who did what to which record, allowed or denied; never the data.
    // Each entry's hash covers the entry and the previous hash. The chain is extended by a
    // trigger under a transaction-scoped advisory lock, so the order of the chain is the
    // order in which transactions commit, whoever writes.
    await db.query(`CREATE SEQUENCE audit_entries_seq`);
    await db.query(`
      CREATE TABLE audit_entries (
        seq          bigint PRIMARY KEY,
        at           timestamptz NOT NULL,
        actor_id     uuid,
        action       text NOT NULL,
        record_type  text,
        record_id    text,
        outcome      text NOT NULL CHECK (outcome IN ('allow', 'deny', 'success', 'failure')),
        reason       text,
        break_glass  boolean NOT NULL DEFAULT false,
        prev_hash    bytea NOT NULL,
        hash         bytea NOT NULL
      )`);
    await db.query(
      `CREATE INDEX audit_entries_record_idx ON audit_entries (record_type, record_id)`,
    );
    await db.query(`CREATE INDEX audit_entries_actor_idx ON audit_entries (actor_id, at)`);
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
        NEW.hash := sha256(NEW.prev_hash || convert_to(concat_ws(chr(31),
          NEW.seq::text,
          ((extract(epoch FROM NEW.at) * 1000)::bigint)::text,
          coalesce(NEW.actor_id::text, ''),
          NEW.action,
          coalesce(NEW.record_type, ''),
          coalesce(NEW.record_id, ''),
          NEW.outcome,
          coalesce(NEW.reason, ''),
          NEW.break_glass::text
        ), 'UTF8'));
        RETURN NEW;
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_entries_chain BEFORE INSERT ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_chain()`);
    // Append-only for the application: rows can be added, never changed or removed.
    await db.query(`
      CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_entries is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()`);
    await db.query(`
      CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
      FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()`);

    // The transactional outbox: a job is a row written in the same transaction as the change
    // that needs it. The relay moves pending rows into BullMQ with job id "outbox:<id>".
    await db.query(`
      CREATE TABLE outbox (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        queue       text NOT NULL,
        job_name    text NOT NULL,
        payload     jsonb NOT NULL,
        run_at      timestamptz NOT NULL DEFAULT now(),
        status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'done', 'failed')),
        sends       integer NOT NULL DEFAULT 0,
        created_at  timestamptz NOT NULL DEFAULT now(),
        sent_at     timestamptz,
        done_at     timestamptz,
        last_error  text
      )`);
    await db.query(`CREATE INDEX outbox_pending_idx ON outbox (id) WHERE status = 'pending'`);
    await db.query(`CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE status = 'sent'`);
    await db.query(`CREATE INDEX outbox_done_idx ON outbox (done_at) WHERE status = 'done'`);
    await db.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('mayak_outbox', '');
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE outbox`);
    await db.query(`DROP FUNCTION outbox_notify()`);
    await db.query(`DROP TABLE audit_entries`);
    await db.query(`DROP FUNCTION audit_entries_append_only()`);
    await db.query(`DROP FUNCTION audit_entries_chain()`);
    await db.query(`DROP SEQUENCE audit_entries_seq`);
    await db.query(`DROP TABLE sessions`);
    await db.query(`DROP TABLE users`);
  }
}
