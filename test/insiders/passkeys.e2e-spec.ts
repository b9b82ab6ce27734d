import {
  createTestEnvironment,
  createUser,
  enrolWithCode,
  freshCode,
  HttpClient,
  reauthenticate,
  registerPasskey,
  RunningApi,
  signIn,
  signInWithPasskey,
  SoftPasskey,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

type Options = { challenge: string; rpId?: string; allowCredentials?: unknown[] };

/**
 * Phishing-resistant sign-in (issue 12.4). A password and a TOTP code can be typed into a
 * phishing page and replayed within seconds; a passkey signs the page's origin into its answer,
 * so what a phishing page collects opens nothing here. Coordinators and admins
 * (PASSKEY_REQUIRED_ROLES) must sign in with one; everyone else may.
 */
describe('passkeys: required for coordinators and admins, offered to everyone', () => {
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

  const begin = (username: string, password: string) =>
    http.post<{ ticket: string; options: Options }>('/api/auth/passkey/options', {
      username,
      password,
    });
  const complete = (ticket: string, credential: unknown) =>
    http.post<{ token: string }>('/api/auth/passkey/login', { ticket, credential });
  const auditReasons = async (userId: string, action: string): Promise<string[]> =>
    (
      await env.db.query(
        `SELECT reason FROM audit_entries e LEFT JOIN audit_links l USING (seq) WHERE actor_id = $1 AND action = $2 ORDER BY l.chain_pos, e.seq`,
        [userId, action],
      )
    ).map((r: { reason: string | null }) => r.reason ?? '');

  it('a coordinator’s phished password and code open nothing: only the passkey signs in', async () => {
    const coordinator = await createUser(api.app, ['coordinator']);
    expect(coordinator.passkey).toBeDefined();

    // The right password and a right code, as a phishing page would relay them.
    const phished = await http.post('/api/auth/login', {
      username: coordinator.username,
      password: coordinator.password,
      totp: freshCode(coordinator),
    });
    expect(phished.status).toBe(401);
    expect(phished.body).toMatchObject({ error: 'passkey_required' });
    expect(phished.headers.get('set-cookie')).toBeNull();
    expect(await auditReasons(coordinator.id, 'auth.sign_in')).toContain('passkey_required');

    // The passkey's answer, signed for a phishing origin, is refused too.
    const relayed = await begin(coordinator.username, coordinator.password);
    expect(relayed.status).toBe(200);
    const fromPhishingPage = coordinator.passkey!.assert(
      relayed.body.options,
      'https://mayak-signin.example',
    );
    expect((await complete(relayed.body.ticket, fromPhishingPage)).status).toBe(401);

    // From Mayak's own origin it signs in, and the session says how.
    const token = await signIn(http, coordinator);
    const me = await http.get('/api/auth/me', { token });
    expect(me.body).toMatchObject({ secondFactor: 'passkey', passkeyRegistrationRequired: false });
    expect((await http.get('/api/withdrawals', { token })).status).toBe(200);
  });

  it('a ticket works once, only with the account’s own passkey, and a cloned key’s counter gives it away', async () => {
    const coordinator = await createUser(api.app, ['coordinator']);
    const first = await begin(coordinator.username, coordinator.password);
    const answer = coordinator.passkey!.assert(first.body.options);
    expect((await complete(first.body.ticket, answer)).status).toBe(200);
    // Replayed: the ticket is spent.
    expect((await complete(first.body.ticket, answer)).status).toBe(401);

    // A passkey of someone else, over a fresh ticket for this account.
    const other = await createUser(api.app, ['admin']);
    const second = await begin(coordinator.username, coordinator.password);
    expect(
      (await complete(second.body.ticket, other.passkey!.assert(second.body.options))).status,
    ).toBe(401);
    // An unregistered key.
    const third = await begin(coordinator.username, coordinator.password);
    expect(
      (await complete(third.body.ticket, new SoftPasskey().assert(third.body.options))).status,
    ).toBe(401);

    // A copy of the key that signs with an older counter than the server has seen.
    const clone = Object.assign(Object.create(SoftPasskey.prototype), coordinator.passkey!, {
      signCount: 0,
    }) as SoftPasskey;
    const fourth = await begin(coordinator.username, coordinator.password);
    expect((await complete(fourth.body.ticket, clone.assert(fourth.body.options))).status).toBe(
      401,
    );
    expect(await auditReasons(coordinator.id, 'auth.sign_in')).toEqual(
      expect.arrayContaining(['bad_passkey']),
    );
  });

  it('step one tells nothing: the same answer for a right password, a wrong one and an unknown name; wrong ones are counted', async () => {
    const admin = await createUser(api.app, ['admin']);
    const right = await begin(admin.username, admin.password);
    const wrong = await begin(admin.username, 'not-the-password');
    const unknown = await begin('nobody-here', 'whatever');
    for (const answer of [right, wrong, unknown]) {
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body).sort()).toEqual(['options', 'ticket']);
      expect(Object.keys(answer.body.options).sort()).toEqual(
        Object.keys(right.body.options).sort(),
      );
      // No credential ids: a seized key could be matched against them.
      expect(answer.body.options.allowCredentials ?? []).toEqual([]);
    }
    // The wrong password's ticket fails even with the right passkey.
    expect(
      (await complete(wrong.body.ticket, admin.passkey!.assert(wrong.body.options))).status,
    ).toBe(401);
    expect(await auditReasons(admin.id, 'auth.sign_in')).toContain('bad_password');
  });

  it('a new coordinator signs in with a code only to register a passkey, then must use it', async () => {
    const coordinator = await createUser(api.app, ['coordinator']);
    // As if the account were new: no passkey yet.
    await env.db.query(`DELETE FROM passkeys WHERE user_id = $1`, [coordinator.id]);
    await env.db.query(`DELETE FROM notifications WHERE about_user_id = $1`, [coordinator.id]);
    delete coordinator.passkey;
    const token = await signIn(http, coordinator);
    expect((await http.get('/api/auth/me', { token })).body).toMatchObject({
      secondFactor: 'totp',
      passkeyRegistrationRequired: true,
    });
    // Nothing else: not the queue, not statistics, not the stream.
    for (const path of ['/api/withdrawals', '/api/stats?from=2026-01-01&to=2026-01-31']) {
      const refused = await http.get(path, { token });
      expect([path, refused.status, refused.body?.error]).toEqual([
        path,
        403,
        'passkey_registration_required',
      ]);
    }

    const passkey = new SoftPasskey();
    const options = await http.post('/api/auth/passkeys/options', undefined, { token });
    expect(options.status).toBe(200);
    expect(options.body.options.authenticatorSelection).toMatchObject({ residentKey: 'required' });
    const registered = await http.post(
      '/api/auth/passkeys',
      {
        ticket: options.body.ticket,
        name: 'Ключ на связке',
        credential: passkey.register(options.body.options),
      },
      { token },
    );
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ name: 'Ключ на связке' });
    // The code alone registered it: every other coordinator and admin hears of it.
    const told: Array<{ user_id: string }> = await env.db.query(
      `SELECT user_id FROM notifications WHERE type = 'passkey_added' AND about_user_id = $1`,
      [coordinator.id],
    );
    const others: Array<{ id: string }> = await env.db.query(
      `SELECT id FROM users WHERE id <> $1 AND disabled_at IS NULL
          AND roles && ARRAY['coordinator', 'admin']::text[]`,
      [coordinator.id],
    );
    expect(others.length).toBeGreaterThan(0);
    expect(told.map((t) => t.user_id).sort()).toEqual(others.map((o) => o.id).sort());
    // The code-only session registers the first passkey and nothing more.
    const another = await http.post('/api/auth/passkeys/options', undefined, { token });
    expect(another.status).toBe(403);
    expect((await http.get('/api/withdrawals', { token })).status).toBe(403);

    // From now on the code alone is refused, and the passkey signs in.
    await expect(signIn(http, coordinator)).rejects.toThrow(/401/);
    const full = await signInWithPasskey(http, coordinator, passkey);
    expect((await http.get('/api/withdrawals', { token: full })).status).toBe(200);
    const listed = await http.get('/api/auth/passkeys', { token: full });
    expect(listed.body).toEqual([
      { id: registered.body.id, name: 'Ключ на связке', addedOn: expect.any(String) },
    ]);
  });

  it('re-authentication takes the passkey from a passkey role, and a code from others', async () => {
    const coordinator = await createUser(api.app, ['coordinator']);
    const token = await signIn(http, coordinator);
    const withCode = await http.post(
      '/api/auth/reauthenticate',
      { password: coordinator.password, totp: freshCode(coordinator) },
      { token },
    );
    expect(withCode.status).toBe(403);
    expect(withCode.body).toMatchObject({ error: 'reauthentication_failed' });
    expect((await reauthenticate(http, token, coordinator)).status).toBe(204);

    // A ticket from another session does not re-authenticate this one.
    const elsewhere = await signIn(http, coordinator);
    const foreign = await http.post('/api/auth/reauthenticate/options', undefined, {
      token: elsewhere,
    });
    const crossed = await http.post(
      '/api/auth/reauthenticate',
      {
        password: coordinator.password,
        passkey: {
          ticket: foreign.body.ticket,
          credential: coordinator.passkey!.assert(foreign.body.options),
        },
      },
      { token },
    );
    expect(crossed.status).toBe(403);

    const volunteer = await createUser(api.app, ['volunteer']);
    expect(volunteer.passkey).toBeUndefined();
    const volunteerToken = await signIn(http, volunteer);
    expect((await reauthenticate(http, volunteerToken, volunteer)).status).toBe(204);
  });

  it('a volunteer may add a passkey and sign in with it, and keeps the code', async () => {
    const volunteer = await createUser(api.app, ['volunteer']);
    const passkey = await registerPasskey(api.app, volunteer);
    // Offered, not required: nobody needs telling.
    expect(
      await env.db.query(`SELECT 1 FROM notifications WHERE about_user_id = $1`, [volunteer.id]),
    ).toEqual([]);
    const withPasskey = await signInWithPasskey(http, volunteer, passkey);
    expect((await http.get('/api/auth/me', { token: withPasskey })).body).toMatchObject({
      secondFactor: 'passkey',
    });
    const withCode = await signIn(http, volunteer);
    expect((await http.get('/api/auth/me', { token: withCode })).body).toMatchObject({
      secondFactor: 'totp',
      passkeyRegistrationRequired: false,
    });
    expect((await http.get('/api/contacts/mine', { token: withCode })).status).toBe(200);
  });

  it('a passkey is removed only after re-authenticating, and never a passkey role’s last', async () => {
    const admin: TestUser = await createUser(api.app, ['admin']);
    const token = await signIn(http, admin);
    const [only] = (await http.get('/api/auth/passkeys', { token })).body as Array<{ id: string }>;
    const last = await http.delete(`/api/auth/passkeys/${only.id}`, { token });
    expect(last.status).toBe(409);
    expect(last.body).toMatchObject({ error: 'last_passkey' });

    // A second key, added within the re-authentication window.
    const spare = new SoftPasskey();
    const options = await http.post('/api/auth/passkeys/options', undefined, { token });
    expect(options.status).toBe(200);
    const added = await http.post(
      '/api/auth/passkeys',
      {
        ticket: options.body.ticket,
        name: 'spare',
        credential: spare.register(options.body.options),
      },
      { token },
    );
    expect(added.status).toBe(201);

    // Six minutes on, removing one needs the password and a passkey again.
    await env.db.query(
      `UPDATE sessions SET authenticated_at = now() - interval '6 minutes' WHERE user_id = $1`,
      [admin.id],
    );
    const stale = await http.delete(`/api/auth/passkeys/${only.id}`, { token });
    expect(stale.status).toBe(403);
    expect(stale.body).toMatchObject({ error: 'reauthentication_required' });
    expect((await reauthenticate(http, token, admin)).status).toBe(204);
    expect((await http.delete(`/api/auth/passkeys/${only.id}`, { token })).status).toBe(204);
    // The removed key no longer signs in; the spare does.
    await expect(signInWithPasskey(http, admin, admin.passkey!)).rejects.toThrow(/401/);
    expect(await signInWithPasskey(http, admin, spare)).toEqual(expect.any(String));
  });

  it('a reissued enrolment code takes the account’s passkeys with it once the owner enrols', async () => {
    const admin = await signIn(http, await createUser(api.app, ['admin']));
    const volunteer = await createUser(api.app, ['volunteer']);
    const lost = await registerPasskey(api.app, volunteer);
    const reissued = await http.post(`/api/admin/users/${volunteer.id}/enrolment`, undefined, {
      token: admin,
    });
    expect(reissued.status).toBe(200);
    await enrolWithCode(http, { id: volunteer.id, roles: ['volunteer'], ...reissued.body });
    expect(await env.db.query(`SELECT 1 FROM passkeys WHERE user_id = $1`, [volunteer.id])).toEqual(
      [],
    );
    await expect(signInWithPasskey(http, volunteer, lost)).rejects.toThrow(/401/);
  });

  it('a seized database holds no credential id or public key in the clear', async () => {
    const coordinator = await createUser(api.app, ['coordinator']);
    const passkey = coordinator.passkey!;
    const rows: Array<{ row: string; sealed: Buffer }> = await env.db.query(
      `SELECT row_to_json(p)::text AS row, sealed FROM passkeys p WHERE user_id = $1`,
      [coordinator.id],
    );
    expect(rows).toHaveLength(1);
    const id = passkey.credentialId;
    for (const { row, sealed } of rows) {
      expect(sealed.includes(id)).toBe(false);
      expect(row).not.toContain(id.toString('base64url'));
      expect(row).not.toContain(id.toString('hex'));
      expect(row).not.toContain(coordinator.username);
    }
  });
});
