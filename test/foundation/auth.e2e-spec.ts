import { SessionService, totpCode } from '@mayak/identity';
import {
  createTestEnvironment,
  createUser,
  eventually,
  freshCode,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

describe('sign-in and sessions', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;

  beforeAll(async () => {
    env = await createTestEnvironment({
      LOGIN_MAX_FAILURES: '3',
      LOGIN_RATE_PER_MINUTE: '1000',
      TRUST_PROXY: 'true',
    });
    api = await startApi(env);
    http = new HttpClient(api.url);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const auditRows = (userId: string | null, action: string) =>
    env.db.query(
      `SELECT outcome, reason FROM audit_entries WHERE action = $1 AND actor_id IS NOT DISTINCT FROM $2 ORDER BY seq`,
      [action, userId],
    ) as Promise<Array<{ outcome: string; reason: string | null }>>;

  it('signs in with password and TOTP, and the token works as bearer and as an HttpOnly SameSite=Strict cookie', async () => {
    const user = await createUser(api.app, ['lawyer', 'volunteer']);
    const login = await http.post('/api/auth/login', {
      username: user.username,
      password: user.password,
      totp: freshCode(user),
    });
    expect(login.status).toBe(200);
    expect(login.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(login.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 11 * 3_600_000);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`mayak_session=${login.body.token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);

    const me = await http.get('/api/auth/me', { token: login.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: user.id,
      username: user.username,
      roles: ['lawyer', 'volunteer'],
    });
    const viaCookie = await http.get('/api/auth/me', {
      headers: { cookie: `mayak_session=${login.body.token}` },
    });
    expect(viaCookie.status).toBe(200);
    expect(await auditRows(user.id, 'auth.sign_in')).toEqual([
      { outcome: 'success', reason: null },
    ]);
  });

  it('stores sessions only as hashes', async () => {
    const user = await createUser(api.app, ['coordinator']);
    const token = await signIn(http, user);
    const rows: Array<{ token_hash: Buffer }> = await env.db.query(
      `SELECT token_hash FROM sessions WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash.toString('base64url')).not.toBe(token);
    const dump = JSON.stringify(await env.db.query(`SELECT * FROM sessions`));
    expect(dump).not.toContain(token);
  });

  it('a TOTP code works once', async () => {
    const user = await createUser(api.app, ['psychologist']);
    const code = freshCode(user);
    const first = await http.post('/api/auth/login', {
      username: user.username,
      password: user.password,
      totp: code,
    });
    expect(first.status).toBe(200);
    const again = await http.post('/api/auth/login', {
      username: user.username,
      password: user.password,
      totp: code,
    });
    expect(again.status).toBe(401);
    expect(await auditRows(user.id, 'auth.sign_in')).toContainEqual({
      outcome: 'failure',
      reason: 'totp_reused',
    });
  });

  it('unknown user and wrong password get the same status and body', async () => {
    const user = await createUser(api.app, ['volunteer']);
    const wrongPassword = await http.post('/api/auth/login', {
      username: user.username,
      password: 'wrong password!',
      totp: freshCode(user),
    });
    const unknownUser = await http.post('/api/auth/login', {
      username: 'nobody-at-all',
      password: 'wrong password!',
      totp: '123456',
    });
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(unknownUser.body).toEqual(wrongPassword.body);
    expect(unknownUser.body).toEqual({
      statusCode: 401,
      error: 'invalid_credentials',
      message: expect.any(String),
    });
  });

  it('a wrong TOTP code is refused', async () => {
    const user = await createUser(api.app, ['responder']);
    const wrong = String((Number(totpCode(user.totpSecret)) + 1) % 1_000_000).padStart(6, '0');
    const response = await http.post('/api/auth/login', {
      username: user.username,
      password: user.password,
      totp: wrong,
    });
    expect(response.status).toBe(401);
    expect(await auditRows(user.id, 'auth.sign_in')).toEqual([
      { outcome: 'failure', reason: 'bad_totp' },
    ]);
  });

  /** A sign-in from a given client address (the API trusts X-Forwarded-For in this suite). */
  const from = (address: string, body: Record<string, string>) =>
    http.post<{ error?: string; message?: string; token?: string }>('/api/auth/login', body, {
      headers: { 'x-forwarded-for': address },
    });
  const wrong = (user: { username: string }) => ({
    username: user.username,
    password: 'not the password',
    totp: '000000',
  });

  it('failures slow down the address they come from, growing, and never lock the account', async () => {
    const user = await createUser(api.app, ['responder']);
    const right = () => ({
      username: user.username,
      password: user.password,
      totp: freshCode(user),
    });
    // LOGIN_MAX_FAILURES (3) failures from one address: from the third, it waits 1 s.
    for (let i = 0; i < 3; i++) expect((await from('203.0.113.7', wrong(user))).status).toBe(401);
    const waiting = await from('203.0.113.7', right());
    expect(waiting.status).toBe(429);
    expect(waiting.body).toMatchObject({
      error: 'sign_in_throttled',
      message: expect.stringMatching(/try again in 1 s/),
    });
    // The right password and code get in from anywhere else, at once.
    const elsewhere = await from('198.51.100.20', right());
    expect(elsewhere.status).toBe(200);
    // The next failure from the slowed address, once its wait is over, doubles the wait.
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await from('203.0.113.7', wrong(user))).status).toBe(401);
    expect((await from('203.0.113.7', wrong(user))).body.message).toMatch(/try again in 2 s/);
    const audit = await auditRows(user.id, 'auth.sign_in');
    expect(audit.filter((a) => a.reason === 'bad_password')).toHaveLength(4);
    expect((await auditRows(user.id, 'auth.throttle')).length).toBeGreaterThanOrEqual(2);
  });

  it('five failures from five addresses do not lock the on-call responder out', async () => {
    const responder = await createUser(api.app, ['responder']);
    for (let i = 1; i <= 5; i++)
      expect((await from(`192.0.2.${i}`, wrong(responder))).status).toBe(401);
    // Nor does a stranger hammering from one address, however long.
    for (let i = 0; i < 3; i++) await from('192.0.2.99', wrong(responder));
    expect((await from('192.0.2.99', wrong(responder))).status).toBe(429);
    const signIn = await from('10.1.2.3', {
      username: responder.username,
      password: responder.password,
      totp: freshCode(responder),
    });
    expect(signIn.status).toBe(200);
  });

  it('a name that does not exist is slowed like one that does: the delay names no account', async () => {
    const nobody = { username: `nobody-${Date.now()}` };
    const known = await createUser(api.app, ['volunteer']);
    // Side by side, so that both waits (1 s) are running when the next attempts come.
    for (let i = 0; i < 3; i++) {
      expect((await from('203.0.113.8', wrong(nobody))).status).toBe(401);
      expect((await from('203.0.113.8', wrong(known))).status).toBe(401);
    }
    const [a, b] = [
      await from('203.0.113.8', wrong(nobody)),
      await from('203.0.113.8', wrong(known)),
    ];
    expect([a.status, a.body]).toEqual([b.status, b.body]);
    expect(a.status).toBe(429);
  });

  it('logout ends the session at once', async () => {
    const user = await createUser(api.app, ['lawyer']);
    const token = await signIn(http, user);
    expect((await http.post('/api/auth/logout', undefined, { token })).status).toBe(204);
    expect((await http.get('/api/auth/me', { token })).status).toBe(401);
  });

  describe('an admin', () => {
    let admin: TestUser;
    let adminToken: string;
    beforeAll(async () => {
      admin = await createUser(api.app, ['admin']);
      adminToken = await signIn(http, admin);
    });

    it('disabling a user ends their session at once', async () => {
      const user = await createUser(api.app, ['volunteer']);
      const token = await signIn(http, user);
      const disabled = await http.post(`/api/admin/users/${user.id}/disable`, undefined, {
        token: adminToken,
      });
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabled).toBe(true);
      expect((await http.get('/api/auth/me', { token })).status).toBe(401);
    });

    it('changing roles ends the user’s sessions at once', async () => {
      const user = await createUser(api.app, ['lawyer', 'volunteer']);
      const token = await signIn(http, user);
      const changed = await http.put(
        `/api/admin/users/${user.id}/roles`,
        { roles: ['lawyer'] },
        { token: adminToken },
      );
      expect(changed.status).toBe(200);
      expect(changed.body.roles).toEqual(['lawyer']);
      expect((await http.get('/api/auth/me', { token })).status).toBe(401);
    });

    it('creates a user whose owner sets their own password and second factor with a one-time code', async () => {
      const created = await http.post(
        '/api/admin/users',
        { username: 'new.volunteer', roles: ['volunteer'] },
        { token: adminToken },
      );
      expect(created.status).toBe(201);
      expect(created.body).not.toHaveProperty('totpSecret');
      expect(created.body.awaitingEnrolment).toBe(true);
      const code = created.body.enrolment.code as string;
      // No password signs in before the owner enrols.
      const early = await http.post('/api/auth/login', {
        username: 'new.volunteer',
        password: 'a long enough password',
        totp: '123456',
      });
      expect([early.status, early.body.error]).toEqual([401, 'invalid_credentials']);
      const enrol = await http.post('/api/auth/enrol', {
        code,
        password: 'the owner’s own password',
      });
      expect(enrol.status).toBe(200);
      expect(enrol.body.username).toBe('new.volunteer');
      expect(enrol.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/Mayak:new\.volunteer\?/);
      const login = await http.post('/api/auth/login', {
        username: 'new.volunteer',
        password: 'the owner’s own password',
        totp: totpCode(enrol.body.secret),
      });
      expect(login.status).toBe(200);
      const again = await http.post('/api/auth/totp/enrol', {
        username: 'new.volunteer',
        password: 'the owner’s own password',
      });
      expect(again.status).toBe(409);
    });

    it('resetting the second factor ends sessions and requires a new enrolment', async () => {
      const user = await createUser(api.app, ['responder']);
      const token = await signIn(http, user);
      expect(
        (
          await http.post(`/api/admin/users/${user.id}/totp/reset`, undefined, {
            token: adminToken,
          })
        ).status,
      ).toBe(200);
      expect((await http.get('/api/auth/me', { token })).status).toBe(401);
      const login = await http.post('/api/auth/login', {
        username: user.username,
        password: user.password,
        totp: freshCode(user),
      });
      expect(login.body.error).toBe('totp_enrolment_required');
    });

    it('only admins manage accounts, and every decision is audited', async () => {
      const lawyer = await createUser(api.app, ['lawyer', 'coordinator']);
      const token = await signIn(http, lawyer);
      const denied = await http.get('/api/admin/users', { token });
      expect(denied.status).toBe(403);
      expect(await auditRows(lawyer.id, 'user:manage')).toEqual([
        { outcome: 'deny', reason: 'role' },
      ]);
      const allowed = await http.get('/api/admin/users', { token: adminToken });
      expect(allowed.status).toBe(200);
      expect(allowed.body.map((u: { username: string }) => u.username)).toContain(lawyer.username);
    });

    it('an admin cannot disable or demote themselves', async () => {
      const response = await http.post(`/api/admin/users/${admin.id}/disable`, undefined, {
        token: adminToken,
      });
      expect(response.status).toBe(409);
    });
  });

  it('a session idle longer than the idle timeout is dead', async () => {
    const user = await createUser(api.app, ['volunteer']);
    const token = await signIn(http, user);
    await env.db.query(
      `UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1`,
      [user.id],
    );
    expect((await http.get('/api/auth/me', { token })).status).toBe(401);
  });

  it('a session older than the absolute timeout is dead, however busy', async () => {
    const user = await createUser(api.app, ['volunteer']);
    const token = await signIn(http, user);
    await env.db.query(
      `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    expect((await http.get('/api/auth/me', { token })).status).toBe(401);
  });

  it('routes need a session unless they are public', async () => {
    expect((await http.get('/api/auth/me')).status).toBe(401);
    expect((await http.get('/api/admin/users')).status).toBe(401);
    expect((await http.get('/api/auth/me', { token: 'x'.repeat(43) })).status).toBe(401);
  });
});

describe('sign-in throttling', () => {
  let env: TestEnvironment;
  let api: RunningApi;

  beforeAll(async () => {
    env = await createTestEnvironment({ LOGIN_RATE_PER_MINUTE: '5', LOGIN_MAX_FAILURES: '100' });
    api = await startApi(env);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('too many attempts from one address in a minute get 429, and each failure is audited', async () => {
    const http = new HttpClient(api.url);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await http.post('/api/auth/login', {
        username: 'someone',
        password: 'guess number ' + i,
        totp: '000000',
      });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const [{ count }] = await env.db.query(
      `SELECT count(*)::int AS count FROM audit_entries WHERE action = 'auth.sign_in' AND outcome = 'failure' AND reason = 'unknown_user'`,
    );
    expect(count).toBe(5);
  });

  it('who-am-I and logout are not sign-in attempts: an office behind one address is not limited', async () => {
    const http = new HttpClient(api.url);
    const users = await Promise.all([1, 2, 3].map(() => createUser(api.app, ['volunteer'])));
    // Signed in without the login route, which this suite limits to 5 a minute.
    const tokens = await Promise.all(
      users.map(async (u) => (await api.app.get(SessionService).issue(u.id)).token),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push((await http.get('/api/auth/me', { token: tokens[i % 3] })).status);
    for (const token of tokens)
      statuses.push((await http.post('/api/auth/logout', undefined, { token })).status);
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(30)).toEqual([204, 204, 204]);
  });
});

describe('sessions remembered by several API processes', () => {
  let env: TestEnvironment;
  let a: RunningApi;
  let b: RunningApi;

  beforeAll(async () => {
    env = await createTestEnvironment({ SESSION_CACHE_SECONDS: '30' });
    a = await startApi(env);
    b = await startApi(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await env?.dispose();
  });

  it('a sign-out through one process ends the session in the other at once', async () => {
    const user = await createUser(a.app, ['lawyer']);
    const token = await signIn(new HttpClient(a.url), user);
    // B remembers the session…
    expect((await new HttpClient(b.url).get('/api/auth/me', { token })).status).toBe(200);
    expect(
      (await new HttpClient(a.url).post('/api/auth/logout', undefined, { token })).status,
    ).toBe(204);
    // …and forgets it as soon as A's revocation commits (NOTIFY), long before its 30 s are up.
    await eventually(
      'B to refuse the session',
      async () => (await new HttpClient(b.url).get('/api/auth/me', { token })).status === 401,
      2_000,
      20,
    );
  });

  it('disabling a user through one process locks them out of the other at once', async () => {
    const admin = await createUser(a.app, ['admin']);
    const adminToken = await signIn(new HttpClient(a.url), admin);
    const user = await createUser(a.app, ['volunteer']);
    const token = await signIn(new HttpClient(a.url), user);
    expect((await new HttpClient(b.url).get('/api/auth/me', { token })).status).toBe(200);
    expect(
      (
        await new HttpClient(a.url).post(`/api/admin/users/${user.id}/disable`, undefined, {
          token: adminToken,
        })
      ).status,
    ).toBe(200);
    await eventually(
      'B to refuse the disabled user',
      async () => (await new HttpClient(b.url).get('/api/auth/me', { token })).status === 401,
      2_000,
      20,
    );
  });

  it('a remembered session costs no query', async () => {
    const user = await createUser(a.app, ['volunteer']);
    const token = await signIn(new HttpClient(b.url), user);
    expect((await new HttpClient(b.url).get('/api/auth/me', { token })).status).toBe(200);
    // Even with the row gone behind its back (no NOTIFY), B answers from memory, within its TTL.
    await env.db.query(`DELETE FROM sessions WHERE user_id = $1`, [user.id]);
    expect((await new HttpClient(b.url).get('/api/auth/me', { token })).status).toBe(200);
  });
});
