import {
  createTestEnvironment,
  createUser,
  enrolWithCode,
  HttpClient,
  reauthenticate,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/** The user's sessions were signed in (or last re-authenticated) six minutes ago. */
const ageSessions = (env: TestEnvironment, user: TestUser) =>
  env.db.query(
    `UPDATE sessions SET authenticated_at = now() - interval '6 minutes' WHERE user_id = $1`,
    [user.id],
  );

describe('accounts: search, last sign-in, reset link, own password', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    admin = await createUser(api.app, ['admin']);
    adminToken = await signIn(http, admin);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const audited = (actorId: string, action: string) =>
    env.db.query<Array<{ outcome: string; reason: string | null }>>(
      `SELECT outcome, reason FROM audit_entries WHERE actor_id = $1 AND action = $2 ORDER BY seq`,
      [actorId, action],
    );

  describe('search', () => {
    beforeAll(async () => {
      for (const name of ['rota-anna', 'rota-anton', 'rota-boris'])
        await createUser(api.app, ['volunteer'], name);
    });

    it('an admin finds accounts by the start of the username, whatever its case', async () => {
      const found = await http.post(
        '/api/admin/users/search',
        { query: ' ROTA-AN' },
        { token: adminToken },
      );
      expect(found.status).toBe(200);
      expect(found.body.map((a: { username: string }) => a.username)).toEqual([
        'rota-anna',
        'rota-anton',
      ]);
      const none = await http.post(
        '/api/admin/users/search',
        { query: 'nobody-' },
        { token: adminToken },
      );
      expect(none.body).toEqual([]);
    });

    it('nobody but an admin may search, and a bad query is a 400', async () => {
      for (const role of ['coordinator', 'volunteer'] as const) {
        const other = await createUser(api.app, [role]);
        const refused = await http.post(
          '/api/admin/users/search',
          { query: 'rota' },
          { token: await signIn(http, other) },
        );
        expect(refused.status).toBe(403);
        expect(await audited(other.id, 'user:manage')).toEqual([
          { outcome: 'deny', reason: 'role' },
        ]);
      }
      const empty = await http.post(
        '/api/admin/users/search',
        { query: '' },
        { token: adminToken },
      );
      expect(empty.status).toBe(400);
      expect(Object.keys(empty.body.fields)).toEqual(['query']);
    });

    it('the query is never written to the audit trail', async () => {
      await http.post('/api/admin/users/search', { query: 'rota-bor' }, { token: adminToken });
      const dump = JSON.stringify(await env.db.query(`SELECT * FROM audit_entries`));
      expect(dump).not.toContain('rota-bor');
    });
  });

  it('the list shows each account’s last sign-in to the hour, and none for an account never signed in', async () => {
    const active = await createUser(api.app, ['volunteer']);
    const dormant = await createUser(api.app, ['volunteer']);
    await signIn(http, active);
    const list = await http.get('/api/admin/users', { token: adminToken });
    const byId = new Map(list.body.map((a: { id: string }) => [a.id, a]));
    const [{ at }] = await env.db.query(
      `SELECT max(at) AS at FROM audit_entries WHERE actor_id = $1 AND action = 'auth.sign_in' AND outcome = 'success'`,
      [active.id],
    );
    const hour = new Date(at);
    hour.setUTCMinutes(0, 0, 0);
    expect(byId.get(active.id)).toMatchObject({ lastSignInAt: hour.toISOString() });
    expect(byId.get(dormant.id)).toMatchObject({ lastSignInAt: null });
    // Nothing beyond the trail records sign-ins: no new column on users or sessions.
    const columns = await env.db.query(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_name IN ('users', 'sessions') AND column_name LIKE '%sign%'`,
    );
    expect(columns).toEqual([]);
  });

  it('a password-reset link is the enrolment code, needs a recent re-authentication, and works once', async () => {
    const owner = await createUser(api.app, ['volunteer']);
    const ownerToken = await signIn(http, owner);
    const reissue = () =>
      http.post(`/api/admin/users/${owner.id}/enrolment`, undefined, { token: adminToken });
    await ageSessions(env, admin);
    const refused = await reissue();
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('reauthentication_required');
    expect(await audited(admin.id, 'user.enrolment_reissue')).toEqual([
      { outcome: 'deny', reason: 'reauthentication_required' },
    ]);
    expect((await reauthenticate(http, adminToken, admin)).status).toBe(204);
    const issued = await reissue();
    expect(issued.status).toBe(200);
    expect(issued.body.awaitingEnrolment).toBe(true);
    // The owner's sessions ended, and their code sets a password of their own.
    expect((await http.get('/api/auth/me', { token: ownerToken })).status).toBe(401);
    const renewed = await enrolWithCode(http, {
      id: owner.id,
      roles: ['volunteer'],
      ...issued.body,
    });
    expect((await http.get('/api/auth/me', { token: await signIn(http, renewed) })).status).toBe(
      200,
    );
    const again = await http.post('/api/auth/enrol', {
      code: issued.body.enrolment.code,
      password: 'another long password',
    });
    expect(again.status).toBe(400);
  });

  describe('changing one’s own password', () => {
    const change = (token: string, currentPassword: string, newPassword: string) =>
      http.post('/api/auth/password', { currentPassword, newPassword }, { token });

    it('needs the current password and a new one of 12 characters or more that differs', async () => {
      const user = await createUser(api.app, ['volunteer']);
      const token = await signIn(http, user);
      const short = await change(token, user.password, 'too short');
      expect(short.status).toBe(400);
      expect(Object.keys(short.body.fields)).toEqual(['newPassword']);
      const wrong = await change(token, 'not my password', 'a long enough new password');
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toBe('current_password_wrong');
      const same = await change(token, user.password, user.password);
      expect(same.status).toBe(400);
      expect(same.body.error).toBe('password_unchanged');
      // A wrong current password leaves the session alive, and is audited as a failure.
      expect((await http.get('/api/auth/me', { token })).status).toBe(200);
      expect(await audited(user.id, 'auth.password_change')).toEqual([
        { outcome: 'failure', reason: 'bad_password' },
      ]);
    });

    it('needs a recent sign-in or re-authentication, like other sensitive actions', async () => {
      const user = await createUser(api.app, ['volunteer']);
      const token = await signIn(http, user);
      await ageSessions(env, user);
      const refused = await change(token, user.password, 'a long enough new password');
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('reauthentication_required');
      expect(await audited(user.id, 'auth.password_change')).toEqual([
        { outcome: 'deny', reason: 'reauthentication_required' },
      ]);
    });

    it('ends every other session of the user, keeps this one, and is audited', async () => {
      // A coordinator signs in with a passkey, so that it can sign in as often as the test needs.
      const user = await createUser(api.app, ['coordinator']);
      const here = await signIn(http, user);
      const elsewhere = await signIn(http, user);
      const bystander = await signIn(http, admin);
      const next = 'a brand new passphrase for the line';
      expect((await change(here, user.password, next)).status).toBe(204);
      expect((await http.get('/api/auth/me', { token: here })).status).toBe(200);
      expect((await http.get('/api/auth/me', { token: elsewhere })).status).toBe(401);
      expect((await http.get('/api/auth/me', { token: bystander })).status).toBe(200);
      await expect(signIn(http, user)).rejects.toThrow(/sign-in of .* failed/);
      await expect(signIn(http, { ...user, password: next })).resolves.toEqual(expect.any(String));
      expect(await audited(user.id, 'auth.password_change')).toEqual([
        { outcome: 'success', reason: null },
      ]);
      const dump = JSON.stringify(await env.db.query(`SELECT * FROM audit_entries`));
      expect(dump).not.toContain(next);
    });
  });
});
