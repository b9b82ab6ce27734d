import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Re-authentication (issue 12.4): role grants, exports and break-glass need the password and a
 * code proved within REAUTH_WINDOW_MINUTES, not just a live session. `authenticated_at` is
 * when the session's owner last did: at sign-in, then at each POST /api/auth/reauthenticate.
 * A session from before this migration counts from its sign-in.
 */
export class SessionReauth1766200000000 implements MigrationInterface {
  name = 'SessionReauth1766200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions ADD COLUMN authenticated_at timestamptz`);
    await db.query(`UPDATE sessions SET authenticated_at = created_at`);
    await db.query(
      `ALTER TABLE sessions ALTER COLUMN authenticated_at SET NOT NULL, ALTER COLUMN authenticated_at SET DEFAULT now()`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions DROP COLUMN authenticated_at`);
  }
}
