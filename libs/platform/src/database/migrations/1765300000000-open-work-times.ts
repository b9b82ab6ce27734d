import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every time column of open work, with the column that holds it sealed. */
export const OPEN_WORK_TIMES = {
  cases: ['created_at', 'updated_at', 'assigned_at', 'acknowledged_at', 'due_at', 'closed_at'],
  case_events: ['at'],
  notifications: ['created_at', 'read_at'],
  emergency_pages: ['paged_at', 'due_at', 'breached_at'],
} as const;

/** `created_at` is sealed in `created_enc`, `at` in `at_enc`. */
export const sealedColumn = (column: string): string =>
  column === 'at' ? 'at_enc' : column.replace(/_at$/, '_enc');

/**
 * An open case kept its exact times (opened, assigned, acknowledged, due) in the clear beside
 * its service, and so did its timeline, its notifications and its pages: joined with the
 * telephone records by the second, an open case told what its caller sought. From now on each
 * of these columns holds the day (in STATS_TIMEZONE) and the exact time is written sealed
 * beside it (`<name>_enc`, ExactTimes). The defaults go, so that no statement can write an
 * exact time by leaving a column out. Rows written before this are sealed by the first process
 * that holds the keys (OpenWorkSealing).
 */
export class OpenWorkTimes1765300000000 implements MigrationInterface {
  name = 'OpenWorkTimes1765300000000';

  async up(db: QueryRunner): Promise<void> {
    for (const [table, columns] of Object.entries(OPEN_WORK_TIMES)) {
      for (const column of columns) {
        await db.query(`ALTER TABLE ${table} ADD COLUMN ${sealedColumn(column)} bytea`);
        await db.query(`ALTER TABLE ${table} ALTER COLUMN ${column} DROP DEFAULT`);
      }
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const [table, columns] of Object.entries(OPEN_WORK_TIMES)) {
      for (const column of columns) {
        await db.query(`ALTER TABLE ${table} DROP COLUMN ${sealedColumn(column)}`);
      }
    }
    await db.query(`ALTER TABLE cases ALTER COLUMN created_at SET DEFAULT now()`);
    await db.query(`ALTER TABLE cases ALTER COLUMN updated_at SET DEFAULT now()`);
    await db.query(`ALTER TABLE case_events ALTER COLUMN at SET DEFAULT clock_timestamp()`);
    await db.query(`ALTER TABLE notifications ALTER COLUMN created_at SET DEFAULT now()`);
    await db.query(
      `ALTER TABLE emergency_pages ALTER COLUMN paged_at SET DEFAULT clock_timestamp()`,
    );
  }
}
