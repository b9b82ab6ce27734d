import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two indexes on `contacts` that no query reads any more, each an entry to write with every
 * intake (issue 14, point 2: CPU per contact):
 * - `contacts_created_idx` (created_at): the statistics read contacts by `week` now
 *   (`contacts_week_idx`), and `created_at` is the week's Monday, the same value again;
 * - `contacts_volunteer_link_idx` (created_at, of the linked): the volunteer-link expiry selects
 *   every linked contact (`volunteer_id IS NOT NULL`), its window being sealed in the facts, and
 *   `contacts_volunteer_recent_idx` (volunteer_id, created_at DESC) finds those as well.
 */
export class LeanContactIndexes1766870000000 implements MigrationInterface {
  name = 'LeanContactIndexes1766870000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS contacts_created_idx`);
    await db.query(`DROP INDEX IF EXISTS contacts_volunteer_link_idx`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX contacts_created_idx ON contacts (created_at)`);
    await db.query(
      `CREATE INDEX contacts_volunteer_link_idx ON contacts (created_at) WHERE volunteer_id IS NOT NULL`,
    );
  }
}
