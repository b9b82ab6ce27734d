import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { AccountAdminService, OPERATOR } from '@mayak/accounts';
import { ROLES } from '@mayak/identity';
import { DataSource } from 'typeorm';

export interface DemoAccount {
  username: string;
  password: string;
  roles: string[];
  totpSecret: string;
}

/**
 * On the very first run, one account per role so that every screen can be tried at once.
 * Their passwords and TOTP secrets are printed once and never again.
 */
export async function createDemoAccountsOnce(app: INestApplicationContext): Promise<DemoAccount[]> {
  const db = app.get(DataSource);
  const [{ count }] = await db.query<Array<{ count: number }>>(
    `SELECT count(*)::int AS count FROM users`,
  );
  if (count > 0) return [];
  const accounts = app.get(AccountAdminService);
  const created: DemoAccount[] = [];
  for (const role of ROLES) {
    const password = randomBytes(12).toString('base64url');
    const account = await accounts.create(OPERATOR, { username: role, password, roles: [role] });
    created.push({
      username: account.username,
      password,
      roles: account.roles,
      totpSecret: account.totpSecret ?? '',
    });
    // So that routing has someone to give cases to from the first call on.
    if (role === 'lawyer' || role === 'psychologist' || role === 'responder')
      await db.query(
        `INSERT INTO staff_availability (user_id, on_shift, capacity) VALUES ($1, true, 10)`,
        [account.id],
      );
  }
  return created;
}

export function formatDemoAccounts(accounts: DemoAccount[]): string {
  const rows = accounts.map(
    (a) => `  ${a.username.padEnd(14)} ${a.password.padEnd(18)} ${a.totpSecret}`,
  );
  return [
    '',
    'Demo accounts (shown this once; add the TOTP secret to an authenticator app):',
    `  ${'username'.padEnd(14)} ${'password'.padEnd(18)} TOTP secret`,
    ...rows,
    '',
  ].join('\n');
}
