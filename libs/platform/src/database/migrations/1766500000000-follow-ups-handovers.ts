import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Follow-ups and handovers (issue 13.6).
 *
 * - `case_follow_ups`: "call the caller back on this date", set by a case's specialist. Its
 *   times are open work's: the plaintext columns hold the week (the Monday in
 *   STATS_TIMEZONE), the exact value sealed beside it by ExactTimes (`<name>_enc`), so a due
 *   date is no new plaintext day joinable with the telephone records
 *   (docs/security/metadata.md, "Follow-ups and handovers"). The optional note is sealed
 *   under a data key of its own, like a case note.
 * - `case_handovers`: a case offered to a colleague of the same service, with a note sealed
 *   the same way; one pending offer per case.
 *
 * Both go with their case (ON DELETE CASCADE): retention deletes a case and nothing of its
 * follow-ups or handovers is left behind.
 */
export class FollowUpsHandovers1766500000000 implements MigrationInterface {
  name = 'FollowUpsHandovers1766500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE case_follow_ups (
        id           uuid PRIMARY KEY,
        case_id      uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
        set_by       uuid NOT NULL REFERENCES users (id),
        status       text NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
        due_at       timestamptz NOT NULL,
        due_enc      bytea NOT NULL,
        created_at   timestamptz NOT NULL,
        created_enc  bytea NOT NULL,
        closed_at    timestamptz,
        closed_enc   bytea,
        notified     boolean NOT NULL DEFAULT false,
        dek_wrapped  bytea,
        note_enc     bytea
      )`);
    await db.query(
      `CREATE INDEX case_follow_ups_open ON case_follow_ups (case_id) WHERE status = 'open'`,
    );
    await db.query(`
      CREATE TABLE case_handovers (
        id            uuid PRIMARY KEY,
        case_id       uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
        from_id       uuid NOT NULL REFERENCES users (id),
        to_id         uuid NOT NULL REFERENCES users (id),
        status        text NOT NULL CHECK (status IN ('pending', 'accepted', 'refused', 'withdrawn')),
        created_at    timestamptz NOT NULL,
        created_enc   bytea NOT NULL,
        answered_at   timestamptz,
        answered_enc  bytea,
        dek_wrapped   bytea,
        note_enc      bytea
      )`);
    await db.query(
      `CREATE UNIQUE INDEX case_handovers_one_pending ON case_handovers (case_id) WHERE status = 'pending'`,
    );
    await db.query(
      `CREATE INDEX case_handovers_to ON case_handovers (to_id) WHERE status = 'pending'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE case_handovers`);
    await db.query(`DROP TABLE case_follow_ups`);
  }
}
