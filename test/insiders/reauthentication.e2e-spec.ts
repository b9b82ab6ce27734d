import { INestApplicationContext } from '@nestjs/common';
import { totpCode } from '@mayak/identity';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  freshCode,
  HttpClient,
  RunningApi,
  reauthenticate as reauthenticateAs,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/** The user's sessions were signed in (or last re-authenticated) six minutes ago. */
const ageSessions = (env: TestEnvironment, user: TestUser) =>
  env.db.query(
    `UPDATE sessions SET authenticated_at = now() - interval '6 minutes',
                         created_at = now() - interval '6 minutes'
      WHERE user_id = $1`,
    [user.id],
  );

const withCode = (http: HttpClient, token: string, password: string, totp: string) =>
  http.post('/api/auth/reauthenticate', { password, totp }, { token });

const expectReauthRequired = (response: { status: number; body: any }) => {
  expect(response.status).toBe(403);
  expect(response.body).toMatchObject({ error: 'reauthentication_required' });
  expect(response.body.message).toMatch(/password/);
};

/**
 * Re-authentication (issue 12.4). A session token taken from a laptop left open, a proxy log
 * or a stolen cookie did everything its owner's role allows: grant roles, export statistics,
 * break the glass on an emergency. Now those need the password and a code proved within
 * REAUTH_WINDOW_MINUTES (5): signing in counts, and POST /api/auth/reauthenticate renews it.
 */
describe('role grants, exports and break-glass need a recent password and code', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;

  beforeAll(async () => {
    env = await createTestEnvironment({ EMERGENCY_ACK_TIMEOUT_SECONDS: '60' });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  const age = (user: TestUser) => ageSessions(env, user);
  const reauthenticate = (token: string, password: string, totp: string) =>
    withCode(http, token, password, totp);

  const denials = async (user: TestUser, action: string): Promise<number> =>
    Number(
      (
        await env.db.query(
          `SELECT count(*) AS n FROM audit_entries
            WHERE actor_id = $1 AND action = $2 AND outcome = 'deny' AND reason = 'reauthentication_required'`,
          [user.id, action],
        )
      )[0].n,
    );

  const stats = (format: string) =>
    `/api/stats?from=2026-01-01&to=2026-03-31&period=month&format=${format}`;

  it('a stale session is refused every role grant, the CSV export and break-glass; after re-authenticating each goes through', async () => {
    const admin = await createUser(api.app, ['admin']);
    const coordinator = await createUser(api.app, ['coordinator']);
    const responder = await createUser(api.app, ['responder']);
    const volunteer = await createUser(api.app, ['volunteer']);
    const lawyer = await createUser(api.app, ['lawyer']);
    const target = await createUser(api.app, ['volunteer']);
    const at = await signIn(http, admin);
    const ct = await signIn(http, coordinator);
    const rt = await signIn(http, responder);
    const vt = await signIn(http, volunteer);
    const lt = await signIn(http, lawyer);

    // An emergency the responder was paged for, whose caller could not consent: break-glass.
    const now = Date.now();
    await http.post(
      '/api/rota/shifts',
      {
        userId: responder.id,
        tier: 1,
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 7_200_000).toISOString(),
      },
      { token: ct },
    );
    const legal = (await http.post('/api/contacts', contactBody(), { token: vt })).body.caseIds[0];
    expect((await http.post(`/api/cases/${legal}/claim`, undefined, { token: lt })).status).toBe(
      200,
    );
    const emergency = (
      await http.post(
        `/api/cases/${legal}/escalate`,
        { reason: 'Caller says the attacker is outside now.' },
        { token: lt },
      )
    ).body.emergencyCaseId as string;
    await eventually('the page', async () =>
      (await http.get('/api/emergencies', { token: rt })).body.some(
        (e: { id: string }) => e.id === emergency,
      ),
    );

    for (const user of [admin, coordinator, responder]) await age(user);

    // The session itself lives on: reading is not held back.
    expect((await http.get('/api/auth/me', { token: at })).status).toBe(200);
    expect((await http.get(stats('json'), { token: ct })).status).toBe(200);

    // Every one of the four kinds of action is refused, and the refusal is audited.
    const makeAccount = () =>
      http.post(
        '/api/admin/users',
        { username: `acct-${Date.now()}-${Math.floor(Math.random() * 1e6)}`, roles: ['volunteer'] },
        { token: at },
      );
    const setRoles = () =>
      http.put(
        `/api/admin/users/${target.id}/roles`,
        { roles: ['volunteer', 'lawyer'] },
        { token: at },
      );
    const propose = () =>
      http.post('/api/role-grants', { userId: target.id, role: 'psychologist' }, { token: ct });
    const exportCsv = () => http.get(stats('csv'), { token: ct });
    const breakGlass = () =>
      http.post(
        `/api/cases/${emergency}/break-glass`,
        { reason: 'Caller could not consent; life at risk.' },
        { token: rt },
      );

    expectReauthRequired(await makeAccount());
    expectReauthRequired(await setRoles());
    expectReauthRequired(await propose());
    expectReauthRequired(await exportCsv());
    expectReauthRequired(
      await http.get('/api/stats?from=2026-01-01&to=2026-03-31&period=month', {
        token: ct,
        headers: { accept: 'text/csv' },
      }),
    );
    expectReauthRequired(await breakGlass());
    expect(await denials(admin, 'user.create')).toBe(1);
    expect(await denials(admin, 'user.set_roles')).toBe(1);
    expect(await denials(coordinator, 'role.grant.propose')).toBe(1);
    expect(await denials(coordinator, 'stats.export')).toBe(2);
    expect(await denials(responder, 'case:break-glass')).toBe(1);
    // Nothing was done.
    expect(
      await env.db.query(`SELECT 1 FROM role_grants_pending WHERE user_id = $1`, [target.id]),
    ).toHaveLength(0);
    expect(
      await env.db.query(`SELECT 1 FROM break_glass_grants WHERE case_id = $1`, [emergency]),
    ).toHaveLength(0);

    // The password and a code: each goes through.
    // Admins and coordinators prove it with their passkey (PASSKEY_REQUIRED_ROLES).
    expect((await reauthenticateAs(http, at, admin)).status).toBe(204);
    expect((await reauthenticateAs(http, ct, coordinator)).status).toBe(204);
    expect((await reauthenticate(rt, responder.password, freshCode(responder))).status).toBe(204);
    expect((await makeAccount()).status).toBe(201);
    const proposed = await setRoles();
    expect(proposed.status).toBe(200);
    expect(proposed.body.pendingRoles).toEqual(['lawyer']);
    expect((await propose()).status).toBe(201);
    const csv = await exportCsv();
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect((await breakGlass()).status).toBe(200);

    // Confirming a grant is a grant too; rejecting one is not held back.
    const [grant] = await env.db.query(
      `SELECT id FROM role_grants_pending WHERE user_id = $1 AND role = 'lawyer' AND state = 'pending'`,
      [target.id],
    );
    await age(coordinator);
    expectReauthRequired(
      await http.post(`/api/role-grants/${grant.id}/confirm`, undefined, { token: ct }),
    );
    expect(await denials(coordinator, 'role.grant.confirm')).toBe(1);
    const other = await signIn(http, await createUser(api.app, ['coordinator']));
    expect(
      (await http.post(`/api/role-grants/${grant.id}/confirm`, undefined, { token: other })).status,
    ).toBe(204);
    const [row] = await env.db.query(`SELECT roles FROM users WHERE id = $1`, [target.id]);
    expect(row.roles).toEqual(expect.arrayContaining(['lawyer']));
    const [psych] = await env.db.query(
      `SELECT id FROM role_grants_pending WHERE user_id = $1 AND role = 'psychologist' AND state = 'pending'`,
      [target.id],
    );
    expect(
      (await http.post(`/api/role-grants/${psych.id}/reject`, undefined, { token: at })).status,
    ).toBe(204);

    // The window is counted from the re-authentication: six minutes later it is stale again.
    await age(responder);
    expectReauthRequired(await breakGlass());
  });

  it('guessing is slowed like sign-in: after LOGIN_MAX_FAILURES failures the address waits (429), and the session still lives', async () => {
    const coordinator = await createUser(api.app, ['coordinator']);
    const token = await signIn(http, coordinator);
    for (let i = 0; i < env.config.LOGIN_MAX_FAILURES; i += 1)
      expect((await reauthenticate(token, `guess-${i}`, '123456')).status).toBe(403);
    const slowed = await reauthenticate(token, coordinator.password, freshCode(coordinator));
    expect(slowed.status).toBe(429);
    expect(slowed.body).toMatchObject({ error: 'sign_in_throttled' });
    const [throttled] = await env.db.query(
      `SELECT count(*)::int AS n FROM audit_entries WHERE actor_id = $1 AND action = 'auth.throttle'`,
      [coordinator.id],
    );
    expect(throttled.n).toBeGreaterThan(0);
    expect((await http.get('/api/auth/me', { token })).status).toBe(200);
  });

  it('a fresh sign-in counts as authenticating: no second prompt within the window', async () => {
    const admin = await createUser(api.app, ['admin']);
    const token = await signIn(http, admin);
    const created = await http.post(
      '/api/admin/users',
      { username: `fresh-${Date.now()}`, roles: ['volunteer'] },
      { token },
    );
    expect(created.status).toBe(201);
  });
});

/**
 * The code path of re-authentication, for an admin where an operator has turned the passkey
 * requirement off (PASSKEY_REQUIRED_ROLES=none); responders and everyone else take it always.
 */
describe('re-authenticating with a code', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;

  beforeAll(async () => {
    env = await createTestEnvironment({ PASSKEY_REQUIRED_ROLES: 'none' });
    api = await startApi(env);
    http = new HttpClient(api.url);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const age = (user: TestUser) => ageSessions(env, user);
  const reauthenticate = (token: string, password: string, totp: string) =>
    withCode(http, token, password, totp);

  it('a stolen session token alone cannot pass: a wrong password, a wrong code or the sign-in code replayed are refused and audited, and the session lives on', async () => {
    const admin = await createUser(api.app, ['admin']);
    const signInCode = freshCode(admin);
    const login = await http.post<{ token: string }>('/api/auth/login', {
      username: admin.username,
      password: admin.password,
      totp: signInCode,
    });
    expect(login.status).toBe(200);
    const token = login.body.token;
    await age(admin);
    const target = await createUser(api.app, ['volunteer']);
    const grant = () =>
      http.put(
        `/api/admin/users/${target.id}/roles`,
        { roles: ['volunteer', 'lawyer'] },
        { token },
      );
    expectReauthRequired(await grant());

    const staleCode = totpCode(admin.totpSecret, Date.now() - 10 * 60_000);
    const tries = [
      { password: 'not the password', totp: staleCode, reason: 'bad_password' },
      { password: admin.password, totp: staleCode, reason: 'bad_totp' },
      // The code that signed in was seen (a phished sign-in, a proxy log): it works once.
      { password: admin.password, totp: signInCode, reason: 'totp_reused' },
    ];
    for (const attempt of tries) {
      const refused = await reauthenticate(token, attempt.password, attempt.totp);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: 'reauthentication_failed' });
      const [audited] = await env.db.query(
        `SELECT outcome FROM audit_entries WHERE actor_id = $1 AND action = 'auth.reauthenticate' AND reason = $2`,
        [admin.id, attempt.reason],
      );
      expect(audited).toEqual({ outcome: 'failure' });
      // One failure does not end the session, and does not open the action either.
      expect((await http.get('/api/auth/me', { token })).status).toBe(200);
      expectReauthRequired(await grant());
    }
    // Without a session there is nothing to re-authenticate.
    expect(
      (await http.post('/api/auth/reauthenticate', { password: admin.password, totp: '123456' }))
        .status,
    ).toBe(401);
    // A malformed code is a validation error, not a failure.
    expect((await reauthenticate(token, admin.password, '12')).status).toBe(400);

    // The owner, with the password and the next code, gets through; it is audited.
    expect((await reauthenticate(token, admin.password, freshCode(admin))).status).toBe(204);
    expect((await grant()).status).toBe(200);
    const [success] = await env.db.query(
      `SELECT outcome FROM audit_entries WHERE actor_id = $1 AND action = 'auth.reauthenticate' AND outcome = 'success'`,
      [admin.id],
    );
    expect(success).toEqual({ outcome: 'success' });
  });
});
