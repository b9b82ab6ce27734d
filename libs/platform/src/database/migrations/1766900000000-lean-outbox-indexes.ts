import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox's indexes, for what reads them (issue 14, point 2: CPU per contact). A row changes
 * status twice (pending → sent → done), and since `status` is in the partial indexes'
 * predicates neither change can be a HOT update: each writes the row again with an entry in
 * every index whose predicate it meets.
 * - `outbox_done_idx` (done_at, of the done rows) goes: nothing reads the done rows by
 *   `done_at`. The retention sweep finds them by id (`max(id)` of the done rows, a backward walk
 *   of the primary key past the few rows still open; then `status = 'done' AND id <= …`, once an
 *   hour). One index entry fewer for every job.
 * - `outbox_sent_idx` is keyed by id instead of `sent_at` (which holds only the day): the relay's
 *   sweeper walks the sent rows by id, a batch at a time, and now reads them in the index's order
 *   rather than sorting every sent row for each batch. The same one entry per sent row.
 */
export class LeanOutboxIndexes1766900000000 implements MigrationInterface {
  name = 'LeanOutboxIndexes1766900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS outbox_done_idx`);
    await db.query(`DROP INDEX IF EXISTS outbox_sent_idx`);
    await db.query(`CREATE INDEX outbox_sent_idx ON outbox (id) WHERE status = 'sent'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS outbox_sent_idx`);
    await db.query(`CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE status = 'sent'`);
    await db.query(`CREATE INDEX outbox_done_idx ON outbox (done_at) WHERE status = 'done'`);
  }
}
