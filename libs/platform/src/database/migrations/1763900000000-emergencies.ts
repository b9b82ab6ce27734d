import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Emergencies: the on-call rota, pages and their SLA clock, acknowledgements, break-glass
 * grants, and webhooks that bridge pages to a helpline's own messenger.
 */
export class Emergencies1763900000000 implements MigrationInterface {
  name = 'Emergencies1763900000000';

  async up(db: QueryRunner): Promise<void> {
    // A semantic, unique key for jobs that must exist once (timers, pages): writing the same
    // timer twice (a retried handler) leaves one row and one BullMQ job.
    await db.query(`ALTER TABLE outbox ADD COLUMN job_key text`);
    await db.query(
      `CREATE UNIQUE INDEX outbox_job_key_key ON outbox (job_key) WHERE job_key IS NOT NULL`,
    );

    await db.query(`ALTER TABLE cases ADD COLUMN acknowledged_at timestamptz`);
    await db.query(`ALTER TABLE cases ADD COLUMN escalated_from uuid REFERENCES cases (id)`);

    await db.query(`
      CREATE TABLE rota_shifts (
        id          uuid PRIMARY KEY,
        user_id     uuid NOT NULL REFERENCES users (id),
        tier        smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
        starts_at   timestamptz NOT NULL,
        ends_at     timestamptz NOT NULL,
        created_by  uuid NOT NULL REFERENCES users (id),
        created_at  timestamptz NOT NULL DEFAULT now(),
        CHECK (ends_at > starts_at)
      )`);
    await db.query(
      `CREATE INDEX rota_shifts_tier_time_idx ON rota_shifts (tier, starts_at, ends_at)`,
    );

    // Per-tier acknowledgement timeouts; a missing row means EMERGENCY_ACK_TIMEOUT_SECONDS.
    await db.query(`
      CREATE TABLE rota_tiers (
        tier                 smallint PRIMARY KEY CHECK (tier BETWEEN 1 AND 3),
        ack_timeout_seconds  integer NOT NULL CHECK (ack_timeout_seconds BETWEEN 1 AND 86400),
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);

    // One row per page of one tier in one round of a case's climb: the primary key is what
    // makes "each tier is paged exactly once per climb" true, whatever is retried.
    await db.query(`
      CREATE TABLE emergency_pages (
        case_id      uuid NOT NULL REFERENCES cases (id),
        tier         smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
        round        integer NOT NULL CHECK (round >= 1),
        paged_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        due_at       timestamptz NOT NULL,
        recipients   uuid[] NOT NULL,
        breached_at  timestamptz,
        PRIMARY KEY (case_id, tier, round)
      )`);

    await db.query(`ALTER TABLE notifications ADD COLUMN dedupe_key text`);
    await db.query(
      `CREATE UNIQUE INDEX notifications_dedupe_key_key ON notifications (dedupe_key) WHERE dedupe_key IS NOT NULL`,
    );
    // Wakes the API's server-sent-event streams; the payload is ids only.
    await db.query(`
      CREATE FUNCTION notifications_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('mayak_notifications', NEW.user_id::text || ':' || NEW.id::text);
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER notifications_notify AFTER INSERT ON notifications
      FOR EACH ROW EXECUTE FUNCTION notifications_notify()`);

    await db.query(`
      CREATE TABLE break_glass_grants (
        id           uuid PRIMARY KEY,
        case_id      uuid NOT NULL REFERENCES cases (id),
        user_id      uuid NOT NULL REFERENCES users (id),
        dek_wrapped  bytea,
        reason_enc   bytea,
        granted_at   timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL
      )`);
    await db.query(
      `CREATE INDEX break_glass_grants_case_idx ON break_glass_grants (case_id, user_id, expires_at)`,
    );

    await db.query(`
      CREATE TABLE staff_webhooks (
        user_id      uuid PRIMARY KEY REFERENCES users (id),
        url          text NOT NULL,
        dek_wrapped  bytea NOT NULL,
        secret_enc   bytea NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE webhook_deliveries (
        notification_id  uuid PRIMARY KEY REFERENCES notifications (id),
        delivered_at     timestamptz,
        attempts         integer NOT NULL DEFAULT 0,
        last_status      integer
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE webhook_deliveries`);
    await db.query(`DROP TABLE staff_webhooks`);
    await db.query(`DROP TABLE break_glass_grants`);
    await db.query(`DROP TRIGGER notifications_notify ON notifications`);
    await db.query(`DROP FUNCTION notifications_notify()`);
    await db.query(`DROP INDEX notifications_dedupe_key_key`);
    await db.query(`ALTER TABLE notifications DROP COLUMN dedupe_key`);
    await db.query(`DROP TABLE emergency_pages`);
    await db.query(`DROP TABLE rota_tiers`);
    await db.query(`DROP TABLE rota_shifts`);
    await db.query(`ALTER TABLE cases DROP COLUMN escalated_from`);
    await db.query(`ALTER TABLE cases DROP COLUMN acknowledged_at`);
    await db.query(`DROP INDEX outbox_job_key_key`);
    await db.query(`ALTER TABLE outbox DROP COLUMN job_key`);
  }
}
