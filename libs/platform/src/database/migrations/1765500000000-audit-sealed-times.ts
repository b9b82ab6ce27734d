import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An audit entry's exact time beside its action ("emergency.page", "case:acknowledge") told a
 * seizure, without any record id, that an emergency was paged a minute after a given call:
 * joined with the telephone records, that attached the risk flag. Entries about anything
 * that belongs to a caller (every record type but staff accounts and key custody) now keep the
 * day in `at` and the exact time sealed in `at_enc` (ExactTimes), which the chain covers.
 * Entries written before stay as they are: they are chained, and rewriting them would break
 * the chain.
 */
export class AuditSealedTimes1765500000000 implements MigrationInterface {
  name = 'AuditSealedTimes1765500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_entries ADD COLUMN at_enc bytea`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_entries DROP COLUMN at_enc`);
  }
}
