import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An outbox row named its queue ('emergency', 'legal'), its job ('page-responders',
 * 'check-ack'), the case in its payload and in its job key, and a timer's due time: a seizure
 * read "an emergency was paged at 14:03:07 for case X" and joined it with the telephone
 * records. Now a row holds its physical queue ('cases' or 'maintenance'), a pseudonymous job
 * key and the job sealed in `sealed` (OutboxSeal); `run_at` is when it was written, timer or
 * not. `job_name` and `payload` stay, empty, only for rows an older version wrote.
 *
 * The migration holds no keys, so it cannot seal what is there; it makes every unfinished
 * job pending again, and the relay seals each legacy row (sealed IS NULL) in place as it sends
 * it (OutboxRelay.sealLegacy). A job the older version had sent sits in a BullMQ queue named
 * after its logical queue, which nothing serves any more: the relay deletes those queues'
 * keys at start, and sends the sealed job again on the shared queue (handlers are idempotent).
 * A failed job is tried again, sealed. A finished row is deleted: it served only an operator
 * for an hour, and its plaintext key names the case.
 */
export class SealedOutbox1765400000000 implements MigrationInterface {
  name = 'SealedOutbox1765400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE outbox ADD COLUMN sealed bytea`);
    await db.query(`ALTER TABLE outbox ALTER COLUMN job_name DROP NOT NULL`);
    await db.query(`ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL`);
    await db.query(`DELETE FROM outbox WHERE status = 'done'`);
    await db.query(
      `UPDATE outbox SET status = 'pending', last_error = NULL WHERE status IN ('sent', 'failed')`,
    );
    await db.query(`
      ALTER TABLE outbox ADD CONSTRAINT outbox_sealed_or_legacy
        CHECK (sealed IS NOT NULL OR (job_name IS NOT NULL AND payload IS NOT NULL))`);
  }

  down(): Promise<void> {
    return Promise.reject(
      new Error('SealedOutbox cannot be reverted: restore a backup taken before it'),
    );
  }
}
