import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Times written at intake are the call's end plus the volunteer's minutes: joined with the
 * telephone records, each one finds its call. Nothing needs the consent's or the caller's to
 * more than the day, so they are written as the day (UTC) from the start, and existing ones
 * are cut to the day. (Their old values stay in dead row versions until vacuum, and in the
 * WAL until its segments are recycled.)
 */
export class CoarseIntakeTimes1764800000000 implements MigrationInterface {
  name = 'CoarseIntakeTimes1764800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE consents ALTER COLUMN given_at SET DEFAULT date_trunc('day', now())`,
    );
    await db.query(
      `ALTER TABLE callers ALTER COLUMN created_at SET DEFAULT date_trunc('day', now())`,
    );
    await db.query(
      `ALTER TABLE callers ALTER COLUMN updated_at SET DEFAULT date_trunc('day', now())`,
    );
    await db.query(
      `UPDATE consents SET given_at = date_trunc('day', given_at), withdrawn_at = date_trunc('day', withdrawn_at)`,
    );
    await db.query(
      `UPDATE callers SET created_at = date_trunc('day', created_at), updated_at = date_trunc('day', updated_at)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE callers ALTER COLUMN updated_at SET DEFAULT now()`);
    await db.query(`ALTER TABLE callers ALTER COLUMN created_at SET DEFAULT now()`);
    await db.query(`ALTER TABLE consents ALTER COLUMN given_at SET DEFAULT now()`);
  }
}
