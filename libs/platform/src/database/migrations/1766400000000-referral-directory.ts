import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The referral directory (issue 13.5): vetted organisations and people a volunteer can refer
 * a caller to.
 *
 * - `referrals`: one row per entry. Its name, contact details, address and notes are sealed
 *   together under the entry's own data key (`details_enc`, bound to the row); only the codes
 *   the search filters on are plain: region, kind, and whether it is active or retired. No
 *   times: when an entry was added says nothing a volunteer needs.
 * - `contacts.referrals_enc`: the entries a contact was referred to, sealed under the
 *   contact's own data key with its summary, so that the link goes wherever the summary goes
 *   (consent withdrawn, retention passed). Plain, it would tell a seized database the
 *   contact's region and the kind of help sought, both sealed attributes.
 */
export class ReferralDirectory1766400000000 implements MigrationInterface {
  name = 'ReferralDirectory1766400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE referrals (
        id uuid PRIMARY KEY,
        region text NOT NULL,
        kind text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
        dek_wrapped bytea NOT NULL,
        details_enc bytea NOT NULL
      )`);
    await db.query(
      `CREATE INDEX referrals_search ON referrals (region, kind) WHERE status = 'active'`,
    );
    await db.query(`ALTER TABLE contacts ADD COLUMN referrals_enc bytea`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE contacts DROP COLUMN referrals_enc`);
    await db.query(`DROP TABLE referrals`);
  }
}
