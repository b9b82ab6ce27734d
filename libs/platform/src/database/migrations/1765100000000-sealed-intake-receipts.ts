import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The answer a retried intake gets back named the caller (and the contact and its cases) in
 * plaintext for up to a day: two calls of one caller that day were linked by it. It is now
 * sealed (`response_enc`); a keyed pseudonym of the contact it created is kept beside it
 * (`contact_ref`), so that retention can delete the key with the contact without a plain id
 * tying the key's exact time to the contact. Answers stored before stay readable until they
 * are purged with the volunteer's window (a day at most); retention finds those by their id.
 */
export class SealedIntakeReceipts1765100000000 implements MigrationInterface {
  name = 'SealedIntakeReceipts1765100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE idempotency_keys ADD COLUMN response_enc bytea`);
    await db.query(`ALTER TABLE idempotency_keys ADD COLUMN contact_ref bytea`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE idempotency_keys DROP COLUMN contact_ref`);
    await db.query(`ALTER TABLE idempotency_keys DROP COLUMN response_enc`);
  }
}
