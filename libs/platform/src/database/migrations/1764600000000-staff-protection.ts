import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff protection (issue 11, point 5): a seized database must not name the helpline's staff,
 * nor say which volunteer took which call once their window on it has passed.
 *
 * - Usernames: looked up by `username_hash`, a keyed pseudonym (HMAC under the derived,
 *   never-rotated pseudonym key) of the normalised name, unique; shown from `username_enc`,
 *   the name sealed under the user's own data key (bound to users/id/username).
 * - Webhook URLs: `url_enc`, sealed under the row's data key (bound to staff_webhooks/user_id/url).
 * - `contacts.volunteer_id` and `consents.recorded_by` become nullable: the app forgets them
 *   once the volunteer's window (VOLUNTEER_CONTACT_WINDOW_HOURS) has passed. The partial
 *   index finds the links still to forget without reading forgotten rows.
 *
 * A migration holds no key (it runs as the schema's owner, possibly while Mayak is sealed), so
 * it cannot hash or seal existing values. It only adds the columns and lets the old plaintext
 * ones be NULL. Every process that holds the keys (at start in file custody, at every unseal
 * in sealed custody) then converts whatever plaintext is left, row by row and idempotently
 * (UsernameSealing in libs/identity, WebhookUrlSealing in libs/notifications), and sign-in
 * waits for that pass. New rows never get plaintext. So once Mayak has been unsealed once
 * after this migration, `users.username` and `staff_webhooks.url` are NULL in every row; a
 * later migration drops both columns, once every installation has run this version unsealed.
 * Old row versions stay in the table files until vacuumed, and in WAL and backups taken
 * before: this removes the plaintext from the live rows, not from the past.
 */
export class StaffProtection1764600000000 implements MigrationInterface {
  name = 'StaffProtection1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE users ADD COLUMN username_hash bytea, ADD COLUMN username_enc bytea`,
    );
    await db.query(`ALTER TABLE users ALTER COLUMN username DROP NOT NULL`);
    await db.query(
      `ALTER TABLE users ADD CONSTRAINT users_username_known CHECK (username IS NOT NULL OR (username_hash IS NOT NULL AND username_enc IS NOT NULL))`,
    );
    // NULLs are distinct: rows not yet converted do not collide.
    await db.query(`CREATE UNIQUE INDEX users_username_hash_key ON users (username_hash)`);

    await db.query(`ALTER TABLE staff_webhooks ADD COLUMN url_enc bytea`);
    await db.query(`ALTER TABLE staff_webhooks ALTER COLUMN url DROP NOT NULL`);
    await db.query(
      `ALTER TABLE staff_webhooks ADD CONSTRAINT staff_webhooks_url_known CHECK (url IS NOT NULL OR url_enc IS NOT NULL)`,
    );

    await db.query(`ALTER TABLE contacts ALTER COLUMN volunteer_id DROP NOT NULL`);
    await db.query(`ALTER TABLE consents ALTER COLUMN recorded_by DROP NOT NULL`);
    await db.query(
      `CREATE INDEX contacts_volunteer_link_idx ON contacts (created_at) WHERE volunteer_id IS NOT NULL`,
    );
  }

  /**
   * Back to the old schema, which only works while nothing has been converted: plaintext the
   * app has sealed or forgotten cannot come back without the keys, and this refuses rather
   * than lose the names or invent a volunteer.
   */
  async down(db: QueryRunner): Promise<void> {
    const converted = (await db.query(
      `SELECT (SELECT count(*) FROM users WHERE username IS NULL)
            + (SELECT count(*) FROM staff_webhooks WHERE url IS NULL)
            + (SELECT count(*) FROM contacts WHERE volunteer_id IS NULL)
            + (SELECT count(*) FROM consents WHERE recorded_by IS NULL) AS n`,
    )) as Array<{ n: string }>;
    if (Number(converted[0].n) > 0)
      throw new Error(
        'StaffProtection1764600000000 cannot be undone: usernames, webhook URLs or volunteer links have been sealed or forgotten',
      );
    await db.query(`DROP INDEX contacts_volunteer_link_idx`);
    await db.query(`ALTER TABLE consents ALTER COLUMN recorded_by SET NOT NULL`);
    await db.query(`ALTER TABLE contacts ALTER COLUMN volunteer_id SET NOT NULL`);
    await db.query(`ALTER TABLE staff_webhooks DROP CONSTRAINT staff_webhooks_url_known`);
    await db.query(`ALTER TABLE staff_webhooks ALTER COLUMN url SET NOT NULL`);
    await db.query(`ALTER TABLE staff_webhooks DROP COLUMN url_enc`);
    await db.query(`DROP INDEX users_username_hash_key`);
    await db.query(`ALTER TABLE users DROP CONSTRAINT users_username_known`);
    await db.query(`ALTER TABLE users ALTER COLUMN username SET NOT NULL`);
    await db.query(`ALTER TABLE users DROP COLUMN username_hash, DROP COLUMN username_enc`);
  }
}
