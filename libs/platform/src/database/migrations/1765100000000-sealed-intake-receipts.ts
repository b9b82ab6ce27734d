import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The answer a retried intake gets back named the caller (and the contact and its cases) in
 * plaintext for up to a day: two calls of one caller that day were linked by it. It is now
 * sealed (`response_enc`); the contact it created is kept beside it, so that retention can
 * delete the key with the contact. Answers stored before stay readable until they are purged
 * with the volunteer's window (a day at most).
 */
export class SealedIntakeReceipts1765100000000 implements MigrationInterface {
  name = 'SealedIntakeReceipts1765100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE idempotency_keys ADD COLUMN response_enc bytea`);
    await db.query(`ALTER TABLE idempotency_keys ADD COLUMN contact_id uuid`);
    await db.query(
      `UPDATE idempotency_keys SET contact_id = (response->>'id')::uuid WHERE response IS NOT NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE idempotency_keys DROP COLUMN contact_id`);
    await db.query(`ALTER TABLE idempotency_keys DROP COLUMN response_enc`);
  }
}
