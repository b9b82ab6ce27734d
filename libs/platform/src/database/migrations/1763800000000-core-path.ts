import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The helpline's core path: callers (recognised by keyed hash only), contacts with the
 * consent given on them, one case per requested service with its timeline and notes, staff
 * availability for routing, idempotency keys for retried submits, in-app notifications.
 *
 * Encrypted columns (*_enc) hold AES-256-GCM ciphertexts under the row's own data key
 * (dek_wrapped, wrapped by the master key, which is never here). Erasing a row's data key
 * erases its encrypted columns everywhere, backups included. Categorical columns stay
 * plain so statistics run in SQL.
 */
export class CorePath1763800000000 implements MigrationInterface {
  name = 'CorePath1763800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE callers (
        id               uuid PRIMARY KEY,
        identifier_hash  bytea,
        dek_wrapped      bytea,
        identifier_enc   bytea,
        contact_back_enc bytea,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE UNIQUE INDEX callers_identifier_hash_key ON callers (identifier_hash) WHERE identifier_hash IS NOT NULL`,
    );

    await db.query(`
      CREATE TABLE contacts (
        id                uuid PRIMARY KEY,
        caller_id         uuid NOT NULL REFERENCES callers (id),
        volunteer_id      uuid NOT NULL REFERENCES users (id),
        channel           text NOT NULL,
        started_at        timestamptz NOT NULL,
        duration_seconds  integer NOT NULL CHECK (duration_seconds BETWEEN 0 AND 86400),
        region            text NOT NULL,
        age_band          text,
        gender_identity   text,
        orientation       text,
        topics            text[] NOT NULL DEFAULT '{}',
        immediate_risk    boolean NOT NULL DEFAULT false,
        outcome           text NOT NULL,
        services          text[] NOT NULL DEFAULT '{}',
        dek_wrapped       bytea,
        pseudonym_enc     bytea,
        summary_enc       bytea,
        erased_at         timestamptz,
        created_at        timestamptz NOT NULL DEFAULT now(),
        expires_at        timestamptz NOT NULL
      )`);
    await db.query(
      `CREATE INDEX contacts_volunteer_recent_idx ON contacts (volunteer_id, created_at DESC)`,
    );
    await db.query(`CREATE INDEX contacts_caller_idx ON contacts (caller_id)`);
    await db.query(
      `CREATE INDEX contacts_expires_idx ON contacts (expires_at) WHERE erased_at IS NULL`,
    );

    // One consent per contact: what the caller agreed to on that call, with the version of the
    // text read to them. Withdrawal is recorded per scope and takes effect at once.
    await db.query(`
      CREATE TABLE consents (
        id                uuid PRIMARY KEY,
        caller_id         uuid NOT NULL REFERENCES callers (id),
        contact_id        uuid NOT NULL REFERENCES contacts (id),
        recorded_by       uuid NOT NULL REFERENCES users (id),
        scopes            text[] NOT NULL,
        withdrawn_scopes  text[] NOT NULL DEFAULT '{}',
        text_version      text NOT NULL,
        retention_days    integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650),
        given_at          timestamptz NOT NULL DEFAULT now(),
        withdrawn_at      timestamptz
      )`);
    await db.query(`CREATE UNIQUE INDEX consents_contact_key ON consents (contact_id)`);
    await db.query(`CREATE INDEX consents_caller_idx ON consents (caller_id)`);

    await db.query(`
      CREATE TABLE cases (
        id            uuid PRIMARY KEY,
        service       text NOT NULL CHECK (service IN ('legal', 'psych', 'emergency')),
        status        text NOT NULL CHECK (status IN ('queued', 'assigned', 'in_progress', 'closed')),
        priority      smallint NOT NULL,
        caller_id     uuid NOT NULL REFERENCES callers (id),
        contact_id    uuid NOT NULL REFERENCES contacts (id),
        assignee_id   uuid REFERENCES users (id),
        declined_by   uuid[] NOT NULL DEFAULT '{}',
        region        text NOT NULL,
        age_band      text,
        topics        text[] NOT NULL DEFAULT '{}',
        outcome       text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        assigned_at   timestamptz,
        closed_at     timestamptz,
        due_at        timestamptz NOT NULL,
        CONSTRAINT cases_assignee_matches_status CHECK ((status = 'queued') = (assignee_id IS NULL) OR status = 'closed')
      )`);
    await db.query(
      `CREATE INDEX cases_pool_idx ON cases (service, priority, created_at) WHERE status = 'queued'`,
    );
    await db.query(
      `CREATE INDEX cases_assignee_idx ON cases (assignee_id, status) WHERE assignee_id IS NOT NULL`,
    );
    await db.query(`CREATE INDEX cases_contact_idx ON cases (contact_id)`);
    await db.query(`CREATE INDEX cases_caller_idx ON cases (caller_id)`);
    await db.query(
      `CREATE INDEX cases_board_idx ON cases (status, service, updated_at) WHERE status <> 'closed'`,
    );

    // The timeline holds what happened, by whom and when; details are ids and codes only.
    await db.query(`
      CREATE TABLE case_events (
        id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        case_id   uuid NOT NULL REFERENCES cases (id),
        at        timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_id  uuid REFERENCES users (id),
        type      text NOT NULL,
        detail    jsonb NOT NULL DEFAULT '{}'
      )`);
    await db.query(`CREATE INDEX case_events_case_idx ON case_events (case_id, id)`);

    await db.query(`
      CREATE TABLE case_notes (
        id           uuid PRIMARY KEY,
        case_id      uuid NOT NULL REFERENCES cases (id),
        author_id    uuid NOT NULL REFERENCES users (id),
        created_at   timestamptz NOT NULL DEFAULT now(),
        dek_wrapped  bytea,
        text_enc     bytea,
        erased_at    timestamptz
      )`);
    await db.query(`CREATE INDEX case_notes_case_idx ON case_notes (case_id, created_at)`);

    // Who can take cases, where, and how many. open_cases is kept in step by the case
    // lifecycle in the same transactions, so routing needs no count over cases.
    await db.query(`
      CREATE TABLE staff_availability (
        user_id     uuid PRIMARY KEY REFERENCES users (id),
        on_shift    boolean NOT NULL DEFAULT false,
        capacity    integer NOT NULL DEFAULT 10 CHECK (capacity BETWEEN 0 AND 1000),
        regions     text[] NOT NULL DEFAULT '{}',
        open_cases  integer NOT NULL DEFAULT 0 CHECK (open_cases >= 0),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);

    // A retried submit with the same key returns the first answer (ids only) and creates nothing.
    await db.query(`
      CREATE TABLE idempotency_keys (
        actor_id      uuid NOT NULL REFERENCES users (id),
        key           text NOT NULL,
        request_hash  bytea NOT NULL,
        status_code   integer,
        response      jsonb,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (actor_id, key)
      )`);
    await db.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);

    await db.query(`
      CREATE TABLE notifications (
        id          uuid PRIMARY KEY,
        user_id     uuid NOT NULL REFERENCES users (id),
        type        text NOT NULL,
        case_id     uuid REFERENCES cases (id),
        created_at  timestamptz NOT NULL DEFAULT now(),
        read_at     timestamptz
      )`);
    await db.query(
      `CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC)`,
    );
    await db.query(
      `CREATE UNIQUE INDEX notifications_once_idx ON notifications (user_id, type, case_id) WHERE type = 'case_assigned'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'notifications',
      'idempotency_keys',
      'staff_availability',
      'case_notes',
      'case_events',
      'cases',
      'consents',
      'contacts',
      'callers',
    ])
      await db.query(`DROP TABLE ${table}`);
  }
}
