import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics without plaintext cells (issue 11). A rollup cell such as "1 contact on day D
 * from region R about topic T" attaches a sensitive attribute to a telephone record by itself;
 * so the rollups become one ciphertext per (grain, bucket): every cuboid's cells of that day
 * or month, sealed under a data key of the row's own (`dek_wrapped`, rewrapped by key rotation
 * like every other) and bound to the row. Plaintext is only the grain, the bucket and the
 * row's bookkeeping: `version` comes from a sequence and changes whenever the cells do, so
 * that an API process can tell that the copy it decrypted earlier is still current.
 *
 * The statistics of contacts that retention deleted (`stats_retired_day`) become one sealed
 * blob per day in `stats_retired`. A migration holds no key, so the old plaintext rows are
 * kept, renamed `stats_retired_unsealed`, until the first process that holds the keys seals
 * them into `stats_retired` and deletes them (RetiredStatisticsSealing).
 *
 * The rollups themselves are not copied: the worker's first run finds `last_full_build`
 * empty and rebuilds everything from the contacts. Until it has, statistics answer zero.
 *
 * `stats_dirty_days` loses its primary key: with one, an intake that met a day already
 * marked did nothing, and the builder could claim that mark before the intake committed,
 * missing its contact. Now every marking is a row, and `claimed` says which ones a build
 * has taken (they go when their day is written; a build that dies leaves them for the next).
 */
export class SealedStatistics1764900000000 implements MigrationInterface {
  name = 'SealedStatistics1764900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE stats_rollup_day`);
    await db.query(`DROP TABLE stats_rollup_month`);
    await db.query(`ALTER TABLE stats_retired_day RENAME TO stats_retired_unsealed`);

    await db.query(`CREATE SEQUENCE stats_rollup_version`);
    await db.query(`
      CREATE TABLE stats_rollups (
        id           text PRIMARY KEY,
        grain        text NOT NULL CHECK (grain IN ('day', 'month')),
        bucket       date NOT NULL,
        version      bigint NOT NULL DEFAULT nextval('stats_rollup_version'),
        dek_wrapped  bytea NOT NULL,
        cells_enc    bytea NOT NULL,
        UNIQUE (grain, bucket),
        CHECK (id = grain || ':' || to_char(bucket, 'YYYY-MM-DD'))
      )`);
    await db.query(`
      CREATE TABLE stats_retired (
        id           text PRIMARY KEY,
        day          date NOT NULL UNIQUE,
        dek_wrapped  bytea NOT NULL,
        cells_enc    bytea NOT NULL,
        CHECK (id = 'retired:' || to_char(day, 'YYYY-MM-DD'))
      )`);

    await db.query(`ALTER TABLE stats_dirty_days DROP CONSTRAINT stats_dirty_days_pkey`);
    await db.query(`ALTER TABLE stats_dirty_days ALTER COLUMN day SET NOT NULL`);
    await db.query(
      `ALTER TABLE stats_dirty_days ADD COLUMN claimed boolean NOT NULL DEFAULT false`,
    );
    await db.query(`ALTER TABLE stats_rollup_state DROP COLUMN built_through`);
    await db.query(`UPDATE stats_rollup_state SET last_full_build = NULL`);
  }

  /**
   * Back to plaintext rollups, empty (the old worker rebuilds them from the contacts). The
   * sealed retired statistics cannot be opened here: whatever was sealed is lost to the old
   * version, and only rows not yet sealed go back.
   */
  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE stats_rollup_state ADD COLUMN built_through timestamptz NOT NULL DEFAULT '-infinity'`,
    );
    await db.query(`ALTER TABLE stats_dirty_days DROP COLUMN claimed`);
    await db.query(`
      DELETE FROM stats_dirty_days d USING stats_dirty_days e
       WHERE d.day = e.day AND d.ctid > e.ctid`);
    await db.query(`ALTER TABLE stats_dirty_days ADD PRIMARY KEY (day)`);
    await db.query(`DROP TABLE stats_retired`);
    await db.query(`DROP TABLE stats_rollups`);
    await db.query(`DROP SEQUENCE stats_rollup_version`);
    await db.query(`ALTER TABLE stats_retired_unsealed RENAME TO stats_retired_day`);
    for (const grain of ['day', 'month'])
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
}
