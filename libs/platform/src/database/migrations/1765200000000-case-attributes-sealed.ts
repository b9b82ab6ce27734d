import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A case kept copies of its contact's region, age band and topics in plaintext, beside the
 * exact times an open case needs: joined with the telephone records, an open case attached
 * them to a call. They were only ever the contact's, which are sealed now (contact_facts):
 * routing and the case's readers open them from there, and the copies go.
 */
export class CaseAttributesSealed1765200000000 implements MigrationInterface {
  name = 'CaseAttributesSealed1765200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE cases DROP COLUMN region`);
    await db.query(`ALTER TABLE cases DROP COLUMN age_band`);
    await db.query(`ALTER TABLE cases DROP COLUMN topics`);
  }

  down(): Promise<void> {
    return Promise.reject(
      new Error('CaseAttributesSealed cannot be reverted: restore a backup taken before it'),
    );
  }
}
