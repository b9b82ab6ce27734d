import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { AccountAdminService, OPERATOR } from '@mayak/accounts';
import { Role, SessionService, totpCode } from '@mayak/identity';
import { HttpClient } from './http-client';

export interface TestUser {
  id: string;
  username: string;
  password: string;
  roles: Role[];
  totpSecret: string;
}

let counter = 0;

/** An account with a second factor, created the way an operator would at the command line. */
export async function createUser(
  app: INestApplicationContext,
  roles: Role[],
  username?: string,
): Promise<TestUser> {
  counter += 1;
  const name = username ?? `${roles.join('-')}-${counter}-${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const created = await app
    .get(AccountAdminService)
    .create(OPERATOR, { username: name, password, roles });
  return {
    id: created.id,
    username: created.username,
    password,
    roles,
    totpSecret: created.totpSecret ?? '',
  };
}

/**
 * A TOTP code that has not been used yet: each code works once, so repeated sign-ins by the
 * same user in a test take the codes of successive time steps (the server accepts one step
 * of drift either way).
 */
const usedSteps = new Map<string, number>();
export function freshCode(user: TestUser): string {
  const now = Date.now();
  const current = Math.floor(now / 30_000);
  const step = Math.max(current, (usedSteps.get(user.id) ?? current - 1) + 1);
  if (step > current + 1)
    throw new Error('no unused TOTP code left in the window; wait or use another user');
  usedSteps.set(user.id, step);
  return totpCode(user.totpSecret, step * 30_000 + 1_000);
}

export async function signIn(http: HttpClient, user: TestUser): Promise<string> {
  const response = await http.post<{ token: string }>('/api/auth/login', {
    username: user.username,
    password: user.password,
    totp: freshCode(user),
  });
  if (response.status !== 200)
    throw new Error(`sign-in of ${user.username} failed: ${response.status} ${response.text}`);
  return response.body.token;
}

/**
 * Ends every session of a user the way the system does (sign-out elsewhere, disabling, a
 * role change): through SessionService, whose NOTIFY makes every API process forget them.
 */
export async function endSessionsOf(app: INestApplicationContext, userId: string): Promise<void> {
  await app.get(SessionService).revokeAllOf(userId);
}

/**
 * Sets up an account made through the API, as its owner would: spends the enrolment code
 * on a password of their own and takes the second factor it returns (the first sign-in
 * completes it).
 */
export async function enrolWithCode(
  http: HttpClient,
  account: { id: string; roles: Role[]; enrolment: { code: string } },
): Promise<TestUser> {
  const password = `own-${randomBytes(12).toString('hex')}`;
  const response = await http.post<{ username: string; secret: string }>('/api/auth/enrol', {
    code: account.enrolment.code,
    password,
  });
  if (response.status !== 200)
    throw new Error(`enrolment failed: ${response.status} ${response.text}`);
  return {
    id: account.id,
    username: response.body.username,
    password,
    roles: account.roles,
    totpSecret: response.body.secret,
  };
}
