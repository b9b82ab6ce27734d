import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every row carries the id of the transaction that wrote it (`xmin`), and ids grow with
 * time: against the audit trail's exact times, a row's `xmin` dates it to the second, however
 * coarse its own columns are. RowRestamp rewrites the rows about calls, a day's at a time, so
 * that they all carry one transaction id. This is where it keeps how far it has come: the
 * transaction id (64-bit, `txid_current()`) from which rows still have to be rewritten at the
 * next pass, and the day (in STATS_TIMEZONE) that id was set on. 0: from the beginning, so that
 * an installation upgraded in place has its older rows rewritten at the first pass.
 */
export class RowRestamps1765350000000 implements MigrationInterface {
  name = 'RowRestamps1765350000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE row_restamps (
        id         boolean PRIMARY KEY DEFAULT true CHECK (id),
        since_xid  bigint NOT NULL,
        day        date
      )`);
    await db.query(`INSERT INTO row_restamps (since_xid, day) VALUES (0, NULL)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE row_restamps`);
  }
}
