import {
  contactBody,
  createTestEnvironment,
  createUser,
  enrolWithCode,
  freshCode,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

interface Created {
  id: string;
  username: string;
  roles: string[];
  pendingRoles: string[];
  awaitingEnrolment: boolean;
  enrolment: { code: string; expiresAt: string };
}

/**
 * An admin never reaches case content (issue 12.1). An admin could make an account with a
 * service role and a password they chose, enrol its second factor with that password, have
 * a legal case reassigned to it and read it; a coordinator who also held a service role could
 * do the same through reassignment. Now a role that opens case content needs a second person
 * of the other side, and a new account's owner sets their own credentials with a one-time
 * enrolment code that works once, for 24 h.
 */
describe('an admin never reaches case content', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let volunteer: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    volunteer = await signIn(http, await createUser(api.app, ['volunteer']));
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const legalCase = async (): Promise<string> =>
    (
      await http.post<{ caseIds: string[] }>(
        '/api/contacts',
        contactBody({ services: ['legal'] }),
        { token: volunteer },
      )
    ).body.caseIds[0];

  const create = (token: string, roles: string[], extra: object = {}) =>
    http.post<Created>(
      '/api/admin/users',
      { username: `acct-${Date.now()}-${Math.floor(Math.random() * 1e6)}`, roles, ...extra },
      { token },
    );

  const pendingFor = async (token: string, userId: string) =>
    (
      await http.get<Array<{ id: string; userId: string; role: string; mayConfirm: boolean }>>(
        '/api/role-grants',
        { token },
      )
    ).body.filter((g) => g.userId === userId);

  it('an admin alone makes no account that can read a legal case: the role waits, no credential is theirs, reassignment is refused', async () => {
    const insider = await createUser(api.app, ['admin', 'coordinator']);
    const insiderToken = await signIn(http, insider);
    const coordinator = await signIn(http, await createUser(api.app, ['coordinator']));

    // The admin may not choose the account's password any more.
    const withPassword = await create(insiderToken, ['lawyer'], {
      password: 'a password the admin knows',
    });
    expect(withPassword.status).toBe(400);

    const puppet = await create(insiderToken, ['lawyer']);
    expect(puppet.status).toBe(201);
    expect(puppet.body).toMatchObject({
      roles: [],
      pendingRoles: ['lawyer'],
      awaitingEnrolment: true,
    });
    expect(puppet.body.enrolment.code.replace(/-/g, '')).toMatch(/^[A-Z2-7]{32}$/);
    const [row] = await env.db.query(`SELECT roles, password_hash FROM users WHERE id = $1`, [
      puppet.body.id,
    ]);
    expect(row.roles).toEqual([]);
    // No password works before the owner enrols, not even the old default of an admin's choosing.
    for (const password of ['a password the admin knows', 'mayak decoy password', ''])
      expect(
        (
          await http.post('/api/auth/login', {
            username: puppet.body.username,
            password: password || 'x',
            totp: '123456',
          })
        ).status,
      ).toBe(401);
    expect(
      (
        await http.post('/api/auth/totp/enrol', {
          username: puppet.body.username,
          password: 'mayak decoy password',
        })
      ).status,
    ).toBe(401);

    // The coordinators were told, and the proposal is audited; nothing was granted.
    const told = await env.db.query(
      `SELECT user_id FROM notifications WHERE type = 'role_grant_pending' AND about_user_id = $1`,
      [puppet.body.id],
    );
    expect(told.map((n: { user_id: string }) => n.user_id)).not.toContain(insider.id);
    expect(told.length).toBeGreaterThanOrEqual(1);
    const [grant] = await pendingFor(insiderToken, puppet.body.id);
    expect(grant).toMatchObject({ role: 'lawyer', mayConfirm: false });
    expect(
      (
        await env.db.query(
          `SELECT count(*)::int AS n FROM audit_entries WHERE action = 'role.grant.proposed'`,
        )
      )[0].n,
    ).toBeGreaterThanOrEqual(1);

    // Even holding the code (it was shown to them), the admin cannot confirm their own
    // proposal, and the account reads nothing: it is not a lawyer.
    const held = await enrolWithCode(http, { ...puppet.body, roles: [] });
    const denied = await http.post<{ error: string }>(
      `/api/role-grants/${grant.id}/confirm`,
      undefined,
      { token: insiderToken },
    );
    expect([denied.status, denied.body.error]).toEqual([403, 'grant_own_proposal']);
    const caseId = await legalCase();
    const refused = await http.put(
      `/api/cases/${caseId}/assignee`,
      { userId: puppet.body.id },
      { token: coordinator },
    );
    expect(refused.status).toBe(400); // not a lawyer: no legal case can be assigned to it
    const puppetToken = await signIn(http, held);
    expect((await http.get(`/api/cases/${caseId}`, { token: puppetToken })).status).toBe(404);
    expect((await http.get('/api/cases?view=pool', { token: puppetToken })).status).toBe(403);

    // A coordinator confirms: the role is applied, the account's sessions end, and the insider
    // (its maker and proposer) still cannot hand it a case; the confirmer cannot either.
    expect(
      (await http.post(`/api/role-grants/${grant.id}/confirm`, undefined, { token: coordinator }))
        .status,
    ).toBe(204);
    expect((await http.get('/api/auth/me', { token: puppetToken })).status).toBe(401);
    const [after] = await env.db.query(
      `SELECT roles, roles_granted_by, roles_confirmed_by FROM users WHERE id = $1`,
      [puppet.body.id],
    );
    expect(after.roles).toEqual(['lawyer']);
    expect(after.roles_granted_by).toBe(insider.id);
    const byInsider = await http.put<{ error: string }>(
      `/api/cases/${caseId}/assignee`,
      { userId: puppet.body.id },
      { token: insiderToken },
    );
    expect([byInsider.status, byInsider.body.error]).toEqual([403, 'granter_assignment']);
    const byConfirmer = await http.put<{ error: string }>(
      `/api/cases/${caseId}/assignee`,
      { userId: puppet.body.id },
      { token: coordinator },
    );
    expect([byConfirmer.status, byConfirmer.body.error]).toEqual([403, 'granter_assignment']);
    expect(
      (
        await env.db.query(
          `SELECT count(*)::int AS n FROM audit_entries WHERE action = 'role.grant.confirmed' AND actor_id = $1`,
          [after.roles_confirmed_by],
        )
      )[0].n,
    ).toBe(1);
  });

  it('a role change by an admin waits for a coordinator too', async () => {
    const admin = await signIn(http, await createUser(api.app, ['admin']));
    const coordinator = await signIn(http, await createUser(api.app, ['coordinator']));
    const target = await createUser(api.app, ['volunteer']);
    const changed = await http.put(
      `/api/admin/users/${target.id}/roles`,
      { roles: ['volunteer', 'psychologist', 'admin'] },
      { token: admin },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      roles: ['volunteer'],
      pendingRoles: ['admin', 'psychologist'],
    });
    const grants = await pendingFor(coordinator, target.id);
    expect(grants.map((g) => g.role).sort()).toEqual(['admin', 'psychologist']);
    // Another admin is on the same side as the proposer.
    const otherAdmin = await signIn(http, await createUser(api.app, ['admin']));
    const sameSide = await http.post<{ error: string }>(
      `/api/role-grants/${grants[0].id}/confirm`,
      undefined,
      { token: otherAdmin },
    );
    expect([sameSide.status, sameSide.body.error]).toEqual([403, 'grant_same_side']);
    for (const g of grants)
      expect(
        (await http.post(`/api/role-grants/${g.id}/reject`, undefined, { token: coordinator }))
          .status,
      ).toBe(204);
    const [row] = await env.db.query(`SELECT roles FROM users WHERE id = $1`, [target.id]);
    expect(row.roles).toEqual(['volunteer']);
  });

  it('a coordinator who is also a lawyer cannot confirm their own proposal, nor a grant to themselves', async () => {
    const insider = await createUser(api.app, ['coordinator', 'lawyer']);
    const insiderToken = await signIn(http, insider);
    const otherCoordinator = await signIn(http, await createUser(api.app, ['coordinator']));
    const admin = await signIn(http, await createUser(api.app, ['admin']));
    const target = await createUser(api.app, ['volunteer']);

    const proposed = await http.post<Array<{ id: string; proposedAs: string }>>(
      '/api/role-grants',
      { userId: target.id, role: 'lawyer' },
      { token: insiderToken },
    );
    expect(proposed.status).toBe(201);
    const [grant] = proposed.body;
    expect(grant.proposedAs).toBe('coordinator');
    const own = await http.post<{ error: string }>(
      `/api/role-grants/${grant.id}/confirm`,
      undefined,
      { token: insiderToken },
    );
    expect([own.status, own.body.error]).toEqual([403, 'grant_own_proposal']);
    const sameSide = await http.post<{ error: string }>(
      `/api/role-grants/${grant.id}/confirm`,
      undefined,
      { token: otherCoordinator },
    );
    expect([sameSide.status, sameSide.body.error]).toEqual([403, 'grant_same_side']);
    let [row] = await env.db.query(`SELECT roles FROM users WHERE id = $1`, [target.id]);
    expect(row.roles).toEqual(['volunteer']);
    // The admins were told.
    expect(
      (
        await env.db.query(
          `SELECT count(*)::int AS n FROM notifications n JOIN users u ON u.id = n.user_id
            WHERE n.type = 'role_grant_pending' AND n.about_user_id = $1 AND 'admin' = ANY (u.roles)`,
          [target.id],
        )
      )[0].n,
    ).toBeGreaterThanOrEqual(1);
    expect(
      (await http.post(`/api/role-grants/${grant.id}/confirm`, undefined, { token: admin })).status,
    ).toBe(204);
    [row] = await env.db.query(`SELECT roles FROM users WHERE id = $1`, [target.id]);
    expect(row.roles).toEqual(['volunteer', 'lawyer']);
    // Decided once: a second confirmation finds nothing.
    expect(
      (await http.post(`/api/role-grants/${grant.id}/confirm`, undefined, { token: admin })).status,
    ).toBe(404);

    // A grant to the insider themselves, proposed by an admin: not theirs to confirm.
    const admin2 = await createUser(api.app, ['admin']);
    const toInsider = await http.put(
      `/api/admin/users/${insider.id}/roles`,
      { roles: ['coordinator', 'lawyer', 'psychologist'] },
      { token: await signIn(http, admin2) },
    );
    expect(toInsider.status).toBe(200);
    const [mine] = await pendingFor(admin, insider.id);
    const self = await http.post<{ error: string }>(
      `/api/role-grants/${mine.id}/confirm`,
      undefined,
      { token: await signIn(http, insider) },
    );
    expect([self.status, self.body.error]).toEqual([403, 'grant_own_account']);
    // Volunteers, lawyers and the like may not even look.
    expect((await http.get('/api/role-grants', { token: await signIn(http, target) })).status).toBe(
      403,
    );
  });

  it('an enrolment code sets the owner’s own credentials, works once, and expires after 24 h', async () => {
    const admin = await signIn(http, await createUser(api.app, ['admin']));
    const made = await create(admin, ['volunteer']);
    expect(made.status).toBe(201);
    expect(made.body.roles).toEqual(['volunteer']);
    const expires = new Date(made.body.enrolment.expiresAt).getTime() - Date.now();
    expect(expires).toBeGreaterThan(23.9 * 3_600_000);
    expect(expires).toBeLessThanOrEqual(24 * 3_600_000);
    // Only the code's hash is stored.
    const stored = JSON.stringify(await env.db.query(`SELECT * FROM enrolment_codes`));
    expect(stored).not.toContain(made.body.enrolment.code.replace(/-/g, ''));

    const owner: TestUser = await enrolWithCode(http, {
      ...made.body,
      roles: ['volunteer'],
      // Typed by hand: case and dashes do not matter.
      enrolment: { code: made.body.enrolment.code.toLowerCase().replace(/-/g, ' ') },
    });
    expect(owner.username).toBe(made.body.username);
    const login = await http.post('/api/auth/login', {
      username: owner.username,
      password: owner.password,
      totp: freshCode(owner),
    });
    expect(login.status).toBe(200);
    const invalid = {
      statusCode: 400,
      error: 'enrolment_code_invalid',
      message: expect.any(String),
    };
    const again = await http.post('/api/auth/enrol', {
      code: made.body.enrolment.code,
      password: 'someone else’s password',
    });
    expect(again.body).toEqual(invalid);

    // An expired code answers exactly as an unknown one.
    const late = await create(admin, ['volunteer']);
    await env.db.query(
      `UPDATE enrolment_codes SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [late.body.id],
    );
    const expired = await http.post('/api/auth/enrol', {
      code: late.body.enrolment.code,
      password: 'a long enough password',
    });
    expect(expired.body).toEqual(invalid);
    const unknown = await http.post('/api/auth/enrol', {
      code: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH',
      password: 'a long enough password',
    });
    expect(unknown.body).toEqual(invalid);

    // A reissued code replaces the old one, and is audited.
    const reissued = await http.post<Created>(
      `/api/admin/users/${late.body.id}/enrolment`,
      undefined,
      {
        token: admin,
      },
    );
    expect(reissued.status).toBe(200);
    expect(
      (
        await http.post('/api/auth/enrol', {
          code: made.body.enrolment.code,
          password: 'a long enough password',
        })
      ).body,
    ).toEqual(invalid);
    await enrolWithCode(http, { ...reissued.body, roles: ['volunteer'] });
    expect(
      (
        await env.db.query(
          `SELECT count(*)::int AS n FROM audit_entries WHERE action = 'user.enrolment_reissue'`,
        )
      )[0].n,
    ).toBe(1);
  });

  it('reissuing a lawyer’s code sends the lawyer role back to a coordinator', async () => {
    const admin = await signIn(http, await createUser(api.app, ['admin']));
    const lawyer = await createUser(api.app, ['lawyer', 'volunteer']);
    const reissued = await http.post<Created>(
      `/api/admin/users/${lawyer.id}/enrolment`,
      undefined,
      {
        token: admin,
      },
    );
    expect(reissued.body).toMatchObject({
      roles: ['volunteer'],
      pendingRoles: ['lawyer'],
      awaitingEnrolment: true,
    });
    const old = await http.post('/api/auth/login', {
      username: lawyer.username,
      password: lawyer.password,
      totp: freshCode(lawyer),
    });
    expect(old.status).toBe(401);
  });
});
