import {
  createTestEnvironment,
  createUser,
  endSessionsOf,
  freshCode,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/** The cookies a login sets, as a browser would keep them: name → value and attributes. */
function cookiesOf(headers: Headers): Map<string, { value: string; attributes: string }> {
  const jar = new Map<string, { value: string; attributes: string }>();
  for (const line of headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';');
    const [name, ...value] = (pair ?? '').split('=');
    jar.set(name!.trim(), { value: value.join('='), attributes: attributes.join(';') });
  }
  return jar;
}

describe('CSRF protection of cookie-authenticated requests', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  /** Signs in the way the browser does and returns the two cookies it would hold. */
  async function browserSignIn(user: TestUser) {
    // An admin signs in with their passkey (PASSKEY_REQUIRED_ROLES), others with a code.
    const begun = user.passkey
      ? await http.post('/api/auth/passkey/options', {
          username: user.username,
          password: user.password,
        })
      : undefined;
    const login = begun
      ? await http.post('/api/auth/passkey/login', {
          ticket: begun.body.ticket,
          credential: user.passkey!.assert(begun.body.options),
        })
      : await http.post('/api/auth/login', {
          username: user.username,
          password: user.password,
          totp: freshCode(user),
        });
    expect(login.status).toBe(200);
    const jar = cookiesOf(login.headers);
    const session = jar.get('mayak_session')!.value;
    const csrf = jar.get('mayak_csrf')!;
    return {
      session,
      csrf: csrf.value,
      csrfAttributes: csrf.attributes,
      cookie: `mayak_session=${session}; mayak_csrf=${csrf.value}`,
    };
  }

  const isDisabled = async (userId: string): Promise<boolean> => {
    const [row] = await env.db.query(`SELECT disabled_at FROM users WHERE id = $1`, [userId]);
    return row.disabled_at !== null;
  };

  it('sign-in sets a readable, SameSite=Strict CSRF cookie bound to the session', async () => {
    const admin = await createUser(api.app, ['admin']);
    const first = await browserSignIn(admin);
    expect(first.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.csrf).not.toBe(first.session);
    expect(first.csrfAttributes).not.toMatch(/HttpOnly/i);
    expect(first.csrfAttributes).toMatch(/SameSite=Strict/i);
    expect(first.csrfAttributes).toMatch(/Path=\//i);
    const second = await browserSignIn(admin);
    expect(second.csrf).not.toBe(first.csrf);
  });

  it('a cookie-authenticated state change without the header is refused with 403 csrf_failed, and nothing changes', async () => {
    const admin = await createUser(api.app, ['admin']);
    const target = await createUser(api.app, ['volunteer']);
    const { cookie } = await browserSignIn(admin);
    const response = await http.post(`/api/admin/users/${target.id}/disable`, undefined, {
      headers: { cookie },
    });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      statusCode: 403,
      error: 'csrf_failed',
      message: expect.any(String),
    });
    expect(await isDisabled(target.id)).toBe(false);
  });

  it('a wrong token, or the token of another session, is refused', async () => {
    const admin = await createUser(api.app, ['admin']);
    const target = await createUser(api.app, ['volunteer']);
    const mine = await browserSignIn(admin);
    const other = await browserSignIn(await createUser(api.app, ['admin']));
    for (const token of ['x'.repeat(43), other.csrf, mine.session, '']) {
      const response = await http.post(`/api/admin/users/${target.id}/disable`, undefined, {
        headers: { cookie: mine.cookie, 'x-csrf-token': token },
      });
      expect(response.status).toBe(403);
      expect(response.body.error).toBe('csrf_failed');
    }
    expect(await isDisabled(target.id)).toBe(false);
  });

  it('a planted CSRF cookie does not help: the header must match the session, not the cookie', async () => {
    const admin = await createUser(api.app, ['admin']);
    const target = await createUser(api.app, ['volunteer']);
    const { session } = await browserSignIn(admin);
    const response = await http.post(`/api/admin/users/${target.id}/disable`, undefined, {
      headers: {
        cookie: `mayak_session=${session}; mayak_csrf=planted`,
        'x-csrf-token': 'planted',
      },
    });
    expect(response.status).toBe(403);
    expect(await isDisabled(target.id)).toBe(false);
  });

  it('the echoed token lets the change through', async () => {
    const admin = await createUser(api.app, ['admin']);
    const target = await createUser(api.app, ['volunteer']);
    const { cookie, csrf } = await browserSignIn(admin);
    const response = await http.post(`/api/admin/users/${target.id}/disable`, undefined, {
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(response.status).toBe(200);
    expect(await isDisabled(target.id)).toBe(true);
  });

  it('covers PUT and logout too: a forged logout cannot end a session', async () => {
    const admin = await createUser(api.app, ['admin']);
    const target = await createUser(api.app, ['volunteer']);
    const { cookie, csrf } = await browserSignIn(admin);
    const put = await http.put(
      `/api/admin/users/${target.id}/roles`,
      { roles: ['lawyer'] },
      { headers: { cookie } },
    );
    expect(put.status).toBe(403);
    const logout = await http.post('/api/auth/logout', undefined, { headers: { cookie } });
    expect(logout.status).toBe(403);
    expect((await http.get('/api/auth/me', { headers: { cookie } })).status).toBe(200);

    const realLogout = await http.post('/api/auth/logout', undefined, {
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(realLogout.status).toBe(204);
    const cleared = cookiesOf(realLogout.headers);
    expect(cleared.get('mayak_session')?.value).toBe('');
    expect(cleared.get('mayak_csrf')?.value).toBe('');
  });

  it('reads need no token, and Bearer-authenticated requests are exempt', async () => {
    const admin = await createUser(api.app, ['admin']);
    const target = await createUser(api.app, ['volunteer']);
    const { cookie } = await browserSignIn(admin);
    expect((await http.get('/api/admin/users', { headers: { cookie } })).status).toBe(200);
    const token = await signIn(http, admin);
    const response = await http.post(`/api/admin/users/${target.id}/disable`, undefined, {
      token,
    });
    expect(response.status).toBe(200);
  });

  it('a dead session is a 401 before any CSRF check, so the page goes back to sign-in', async () => {
    const admin = await createUser(api.app, ['admin']);
    const target = await createUser(api.app, ['volunteer']);
    const { cookie } = await browserSignIn(admin);
    await endSessionsOf(api.app, admin.id);
    const response = await http.post(`/api/admin/users/${target.id}/disable`, undefined, {
      headers: { cookie },
    });
    expect(response.status).toBe(401);
  });

  it('public routes need no token: signing in with a stale session cookie works', async () => {
    const user = await createUser(api.app, ['volunteer']);
    const response = await http.post(
      '/api/auth/login',
      { username: user.username, password: user.password, totp: freshCode(user) },
      { headers: { cookie: `mayak_session=${'x'.repeat(43)}` } },
    );
    expect(response.status).toBe(200);
  });

  it('a session without its CSRF cookie gets it again on its next request', async () => {
    const admin = await createUser(api.app, ['admin']);
    const { session, csrf } = await browserSignIn(admin);
    const me = await http.get('/api/auth/me', { headers: { cookie: `mayak_session=${session}` } });
    expect(me.status).toBe(200);
    expect(cookiesOf(me.headers).get('mayak_csrf')?.value).toBe(csrf);
    const again = await http.get('/api/auth/me', {
      headers: { cookie: `mayak_session=${session}; mayak_csrf=${csrf}` },
    });
    expect(cookiesOf(again.headers).has('mayak_csrf')).toBe(false);
  });
});
