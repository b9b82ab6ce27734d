import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics: rollups per day and per month, so that dashboards read a few thousand
 * pre-aggregated rows instead of millions of contacts.
 *
 * Each rollup row is one cell of one "cuboid" (a set of dimensions, see
 * libs/statistics/src/cuboids.ts) for one day or month: the number of contacts and the
 * number of those whose caller consented to statistics. A dimension that is not part of the
 * cuboid holds ''. Topics and services are multi-valued: a contact counts once in every topic
 * it names.
 */
export class Statistics1764000000000 implements MigrationInterface {
  name = 'Statistics1764000000000';

  async up(db: QueryRunner): Promise<void> {
    // Kept in step with the consent (at intake, and when `statistics` is withdrawn) so the
    // rollups need no join.
    await db.query(
      `ALTER TABLE contacts ADD COLUMN stats_consented boolean NOT NULL DEFAULT false`,
    );
    await db.query(`
      UPDATE contacts ct SET stats_consented = true FROM consents cs
       WHERE cs.contact_id = ct.id AND 'statistics' = ANY(cs.scopes) AND NOT ('statistics' = ANY(cs.withdrawn_scopes))`);
    await db.query(`CREATE INDEX contacts_started_idx ON contacts (started_at)`);
    await db.query(`CREATE INDEX contacts_created_idx ON contacts (created_at)`);

    for (const grain of ['day', 'month']) {
      await db.query(`
        CREATE TABLE stats_rollup_${grain} (
          cuboid           smallint NOT NULL,
          bucket           date NOT NULL,
          channel          text NOT NULL DEFAULT '',
          region           text NOT NULL DEFAULT '',
          topic            text NOT NULL DEFAULT '',
          service          text NOT NULL DEFAULT '',
          outcome          text NOT NULL DEFAULT '',
          age_band         text NOT NULL DEFAULT '',
          gender_identity  text NOT NULL DEFAULT '',
          immediate_risk   text NOT NULL DEFAULT '',
          contacts         integer NOT NULL,
          consented        integer NOT NULL,
          PRIMARY KEY (cuboid, bucket, channel, region, topic, service, outcome, age_band, gender_identity, immediate_risk)
        )`);
    }

    // Days whose rollups must be rebuilt because something other than a new contact changed
    // them (a statistics consent withdrawn). New contacts are found by their created_at.
    await db.query(`CREATE TABLE stats_dirty_days (day date PRIMARY KEY)`);
    await db.query(`
      CREATE TABLE stats_rollup_state (
        id               boolean PRIMARY KEY DEFAULT true CHECK (id),
        built_through    timestamptz NOT NULL DEFAULT '-infinity',
        last_full_build  timestamptz
      )`);
    await db.query(`INSERT INTO stats_rollup_state DEFAULT VALUES`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE stats_rollup_state`);
    await db.query(`DROP TABLE stats_dirty_days`);
    await db.query(`DROP TABLE stats_rollup_month`);
    await db.query(`DROP TABLE stats_rollup_day`);
    await db.query(`DROP INDEX contacts_created_idx`);
    await db.query(`DROP INDEX contacts_started_idx`);
    await db.query(`ALTER TABLE contacts DROP COLUMN stats_consented`);
  }
}
