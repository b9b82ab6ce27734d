import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who last granted an account roles, and when (issue 12.1): for a week after an account is
 * made, and a day after any later grant, a case may be reassigned to it only by a coordinator
 * other than the one who made the grant. An admin who is also a coordinator could otherwise
 * make a puppet lawyer and hand it a case. Accounts made before keep their creation as the
 * grant, by nobody known.
 */
export class RoleGrants1765900000000 implements MigrationInterface {
  name = 'RoleGrants1765900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE users ADD COLUMN roles_granted_at timestamptz, ADD COLUMN roles_granted_by uuid REFERENCES users (id)`,
    );
    await db.query(`UPDATE users SET roles_granted_at = created_at`);
    await db.query(`ALTER TABLE users ALTER COLUMN roles_granted_at SET NOT NULL`);
    await db.query(`ALTER TABLE users ALTER COLUMN roles_granted_at SET DEFAULT now()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users DROP COLUMN roles_granted_at, DROP COLUMN roles_granted_by`);
  }
}
