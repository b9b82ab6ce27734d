import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A statement's way to give up (issue 14, point 2: a leaner hot path). An intake batch is
 * written in one statement without a transaction of its own, after reading its callers
 * unlocked; the statement updates a known caller only where the counter and data key are
 * still those read, and calls `intake_conflict()` when one was not, which fails the whole
 * statement (nothing of it is kept) with a serialization failure. The intake then writes the
 * batch the locking way. Plain SQL has no RAISE, hence the function.
 */
export class IntakeConflict1766920000000 implements MigrationInterface {
  name = 'IntakeConflict1766920000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION intake_conflict() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RAISE EXCEPTION 'a caller changed between the intake''s read and its write'
          USING ERRCODE = 'serialization_failure';
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION intake_conflict()`);
  }
}
