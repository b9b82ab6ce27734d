import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A contact's attributes leave the clear (issue 11): its start time and duration, channel,
 * region, age band, gender identity, orientation, topics, risk flag, outcome, services and
 * the caller it came from become one ciphertext in `contact_facts`, under a data key of its
 * own (so that erasing the summary on a withdrawal leaves the contact countable in
 * statistics). The contact keeps the day it started on, and a keyed tag that only the
 * caller's own encrypted counter can find (`callers.contacts_enc`): no plaintext id links
 * two calls of one caller any more, in contacts, consents or cases. When the contact was
 * logged goes into the facts too (the volunteer's window runs from it); `created_at` keeps
 * the day.
 *
 * Sealing needs the keys, which a migration does not hold: the old values wait in
 * `contacts_unsealed` until the first process with keys seals them (ContactSealingPass)
 * and deletes each row as it goes. The day is the UTC day until then.
 */
export class SealedContacts1765000000000 implements MigrationInterface {
  name = 'SealedContacts1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE contact_facts (
        contact_id  uuid PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
        dek_wrapped bytea NOT NULL,
        facts_enc   bytea NOT NULL
      )`);
    await db.query(`
      CREATE TABLE contacts_unsealed AS
        SELECT id AS contact_id, caller_id, channel, started_at, duration_seconds, region, age_band,
               gender_identity, orientation, topics, immediate_risk, outcome, services, created_at
          FROM contacts`);
    await db.query(`ALTER TABLE contacts_unsealed ADD PRIMARY KEY (contact_id)`);
    await db.query(`ALTER TABLE contacts ADD COLUMN day date`);
    await db.query(`ALTER TABLE contacts ADD COLUMN caller_tag bytea`);
    await db.query(`UPDATE contacts SET day = (started_at AT TIME ZONE 'UTC')::date,
                            expires_at = date_trunc('day', expires_at),
                            created_at = date_trunc('day', created_at)`);
    await db.query(
      `ALTER TABLE contacts ALTER COLUMN created_at SET DEFAULT date_trunc('day', now())`,
    );
    await db.query(`ALTER TABLE contacts ALTER COLUMN day SET NOT NULL`);
    await db.query(`DROP INDEX IF EXISTS contacts_caller_idx`);
    await db.query(`DROP INDEX IF EXISTS consents_caller_idx`);
    await db.query(`DROP INDEX IF EXISTS cases_caller_idx`);
    await db.query(`ALTER TABLE consents DROP COLUMN caller_id`);
    await db.query(`ALTER TABLE cases DROP COLUMN caller_id`);
    for (const column of [
      'caller_id',
      'channel',
      'started_at',
      'duration_seconds',
      'region',
      'age_band',
      'gender_identity',
      'orientation',
      'topics',
      'immediate_risk',
      'outcome',
      'services',
    ])
      await db.query(`ALTER TABLE contacts DROP COLUMN ${column}`);
    await db.query(`CREATE UNIQUE INDEX contacts_caller_tag_key ON contacts (caller_tag)`);
    await db.query(`CREATE INDEX contacts_day_idx ON contacts (day)`);
    // The caller's contacts: how many tags to compute. Sealed, so that a caller's row says
    // nothing about how often they called.
    await db.query(`ALTER TABLE callers ADD COLUMN contacts_enc bytea`);
  }

  down(): Promise<void> {
    // The plaintext is gone once sealed; going back would need the keys to write it out again.
    return Promise.reject(
      new Error('SealedContacts cannot be reverted: restore a backup taken before it'),
    );
  }
}
