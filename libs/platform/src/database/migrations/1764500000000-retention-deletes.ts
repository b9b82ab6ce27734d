import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention deletes for real: a contact whose retention has ended goes, with its consent, its
 * closed cases, their notes, events, notifications and pages. Its statistics stay only as part
 * of the aggregates: before the rows go, their cells are added to `stats_retired_day`, which
 * every rebuild of a day adds back to what the remaining contacts give.
 */
export class RetentionDeletes1764500000000 implements MigrationInterface {
  name = 'RetentionDeletes1764500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE stats_retired_day (LIKE stats_rollup_day INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await db.query(`
      ALTER TABLE stats_retired_day ADD PRIMARY KEY
        (cuboid, bucket, channel, region, topic, service, outcome, age_band, gender_identity, immediate_risk)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE stats_retired_day`);
  }
}
