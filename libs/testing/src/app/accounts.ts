import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { AccountAdminService, OPERATOR } from '@mayak/accounts';
import {
  PasskeyService,
  passkeyRequiredFor,
  Role,
  SessionService,
  totpCode,
} from '@mayak/identity';
import { AppConfig } from '@mayak/platform';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { HttpClient } from './http-client';
import { AssertionOptions, RegistrationOptions, SoftPasskey, TEST_ORIGIN } from './soft-passkey';

export interface TestUser {
  id: string;
  username: string;
  password: string;
  roles: Role[];
  totpSecret: string;
  /** For the roles that must sign in with a passkey (PASSKEY_REQUIRED_ROLES): theirs. */
  passkey?: SoftPasskey;
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
  const user: TestUser = {
    id: created.id,
    username: created.username,
    password,
    roles,
    totpSecret: created.totpSecret ?? '',
  };
  if (passkeyRequiredFor(roles, app.get(AppConfig).passkeyRequiredRoles))
    user.passkey = await registerPasskey(app, user);
  return user;
}

/** Where the app's pages are, for a passkey: as the configuration says, else localhost. */
function pageOrigin(config: AppConfig): string {
  if (config.WEBAUTHN_ORIGINS) return config.WEBAUTHN_ORIGINS.split(',')[0];
  return config.PUBLIC_URL ? new URL(config.PUBLIC_URL).origin : TEST_ORIGIN;
}

/**
 * Registers a software passkey for `user` through PasskeyService, as their first sign-in would
 * (a code-only session registers it, and ends).
 */
export async function registerPasskey(
  app: INestApplicationContext,
  user: Pick<TestUser, 'id'>,
): Promise<SoftPasskey> {
  const sessions = app.get(SessionService);
  const passkeys = app.get(PasskeyService);
  const issued = await sessions.issue(user.id);
  const actor = await sessions.resolve(issued.token);
  if (!actor) throw new Error('the session to register a passkey with did not resolve');
  const passkey = new SoftPasskey();
  const { ticket, options } = await passkeys.beginRegistration(actor);
  await passkeys.completeRegistration(
    actor,
    ticket,
    passkey.register(
      options as RegistrationOptions,
      pageOrigin(app.get(AppConfig)),
    ) as unknown as RegistrationResponseJSON,
    'test key',
  );
  await sessions.revoke(actor.sessionId);
  return passkey;
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

/** Signs in as the person would: with their passkey if they have one, else a code. */
export async function signIn(http: HttpClient, user: TestUser): Promise<string> {
  if (user.passkey) return signInWithPasskey(http, user, user.passkey);
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
 * A passkey role's first sign-in, through the API as the person's browser would go: the
 * code-only session registers a passkey, then the passkey signs in. Returns both.
 */
export async function registerFirstPasskey(
  http: HttpClient,
  codeOnlyToken: string,
  user: Pick<TestUser, 'username' | 'password'>,
): Promise<{ passkey: SoftPasskey; token: string }> {
  const passkey = new SoftPasskey();
  const begun = await http.post<{ ticket: string; options: RegistrationOptions }>(
    '/api/auth/passkeys/options',
    undefined,
    { token: codeOnlyToken },
  );
  if (begun.status !== 200)
    throw new Error(`passkey registration options: ${begun.status} ${begun.text}`);
  const registered = await http.post(
    '/api/auth/passkeys',
    {
      ticket: begun.body.ticket,
      name: 'test key',
      credential: passkey.register(begun.body.options),
    },
    { token: codeOnlyToken },
  );
  if (registered.status !== 201)
    throw new Error(`passkey registration: ${registered.status} ${registered.text}`);
  return { passkey, token: await signInWithPasskey(http, user, passkey) };
}

/**
 * After a code sign-in: if the session may only set up a passkey (a coordinator or admin made
 * at the command line, say), registers one and signs in with it. Returns the session to use
 * and the passkey if one was made.
 */
export async function settlePasskey(
  http: HttpClient,
  token: string,
  user: Pick<TestUser, 'username' | 'password'>,
): Promise<{ token: string; passkey?: SoftPasskey }> {
  const me = await http.get<{ passkeyRegistrationRequired?: boolean }>('/api/auth/me', { token });
  if (me.status !== 200) throw new Error(`who-am-I: ${me.status} ${me.text}`);
  if (!me.body.passkeyRegistrationRequired) return { token };
  return registerFirstPasskey(http, token, user);
}

/** Passkey sign-in: name and password for a ticket, then the authenticator's assertion. */
export async function signInWithPasskey(
  http: HttpClient,
  user: Pick<TestUser, 'username' | 'password'>,
  passkey: SoftPasskey,
): Promise<string> {
  const begun = await http.post<{ ticket: string; options: AssertionOptions }>(
    '/api/auth/passkey/options',
    { username: user.username, password: user.password },
  );
  if (begun.status !== 200)
    throw new Error(`passkey options for ${user.username}: ${begun.status} ${begun.text}`);
  const response = await http.post<{ token: string }>('/api/auth/passkey/login', {
    ticket: begun.body.ticket,
    credential: passkey.assert(begun.body.options),
  });
  if (response.status !== 200)
    throw new Error(
      `passkey sign-in of ${user.username} failed: ${response.status} ${response.text}`,
    );
  return response.body.token;
}

/**
 * Re-authenticates a session as its owner would: password and passkey if they have one, else
 * password and a fresh code. Returns the response (204 when it went through).
 */
export async function reauthenticate(
  http: HttpClient,
  token: string,
  user: TestUser,
): Promise<{ status: number; text: string }> {
  if (!user.passkey)
    return http.post(
      '/api/auth/reauthenticate',
      { password: user.password, totp: freshCode(user) },
      { token },
    );
  const begun = await http.post<{ ticket: string; options: AssertionOptions }>(
    '/api/auth/reauthenticate/options',
    undefined,
    { token },
  );
  if (begun.status !== 200) return begun;
  return http.post(
    '/api/auth/reauthenticate',
    {
      password: user.password,
      passkey: { ticket: begun.body.ticket, credential: user.passkey.assert(begun.body.options) },
    },
    { token },
  );
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
