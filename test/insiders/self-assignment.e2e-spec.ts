import {
  contactBody,
  createTestEnvironment,
  createUser,
  enrolWithCode,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
} from '@mayak/testing';

/**
 * A coordinator who also holds a service role could hand themselves any case of that service
 * by reassignment, and read it (issue 12.1). Nobody may reassign a case to themselves; another
 * coordinator can.
 */
describe('reassigning a case to oneself', () => {
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

  it('is refused, changes nothing, and another coordinator may do it', async () => {
    const volunteer = await signIn(http, await createUser(api.app, ['volunteer']));
    const both = await createUser(api.app, ['coordinator', 'lawyer']);
    const insider = await signIn(http, both);
    const colleague = await signIn(http, await createUser(api.app, ['coordinator']));
    const receipt = await http.post<{ caseIds: string[] }>(
      '/api/contacts',
      contactBody({ services: ['legal'] }),
      { token: volunteer },
    );
    const caseId = receipt.body.caseIds[0];

    const refused = await http.put<{ error: string }>(
      `/api/cases/${caseId}/assignee`,
      { userId: both.id },
      { token: insider },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('self_assignment');
    const [row] = await env.db.query(`SELECT status, assignee_id FROM cases WHERE id = $1`, [
      caseId,
    ]);
    expect(row).toEqual({ status: 'queued', assignee_id: null });
    // The case stays closed to the insider: not assigned, not theirs to read.
    expect((await http.get(`/api/cases/${caseId}`, { token: insider })).body).not.toHaveProperty(
      'contact',
    );

    const given = await http.put(
      `/api/cases/${caseId}/assignee`,
      { userId: both.id },
      { token: colleague },
    );
    expect(given.status).toBe(200);
  });

  it('an admin who is also a coordinator cannot hand a case to the account they just made or granted', async () => {
    const volunteer = await signIn(http, await createUser(api.app, ['volunteer']));
    const insider = await signIn(http, await createUser(api.app, ['admin', 'coordinator']));
    const colleague = await signIn(http, await createUser(api.app, ['coordinator']));
    // The lawyer role needs a second person (admin-content-path.e2e-spec.ts), who may not hand
    // the account cases either while the grant is fresh: a third coordinator confirms.
    const confirmer = await signIn(http, await createUser(api.app, ['coordinator']));
    const confirmAll = async (userId: string) => {
      const grants = await http.get<Array<{ id: string; userId: string }>>('/api/role-grants', {
        token: confirmer,
      });
      for (const g of grants.body.filter((g) => g.userId === userId))
        expect(
          (await http.post(`/api/role-grants/${g.id}/confirm`, undefined, { token: confirmer }))
            .status,
        ).toBe(204);
    };
    const puppet = await http.post<{ id: string; enrolment: { code: string } }>(
      '/api/admin/users',
      { username: `puppet-${Date.now()}`, roles: ['lawyer'] },
      { token: insider },
    );
    expect(puppet.status).toBe(201);
    await enrolWithCode(http, { ...puppet.body, roles: ['lawyer'] });
    await confirmAll(puppet.body.id);
    const legal = async () =>
      (
        await http.post<{ caseIds: string[] }>(
          '/api/contacts',
          contactBody({ services: ['legal'] }),
          { token: volunteer },
        )
      ).body.caseIds[0];
    const first = await legal();
    const refused = await http.put<{ error: string }>(
      `/api/cases/${first}/assignee`,
      { userId: puppet.body.id },
      { token: insider },
    );
    expect([refused.status, refused.body.error]).toEqual([403, 'granter_assignment']);
    expect(
      (
        await http.put(
          `/api/cases/${first}/assignee`,
          { userId: puppet.body.id },
          { token: colleague },
        )
      ).status,
    ).toBe(200);

    // An older account granted a content role now: the same, for a day.
    const older = await createUser(api.app, ['volunteer']);
    await env.db.query(
      `UPDATE users SET created_at = now() - interval '30 days', roles_granted_at = now() - interval '30 days' WHERE id = $1`,
      [older.id],
    );
    expect(
      (
        await http.put(
          `/api/admin/users/${older.id}/roles`,
          { roles: ['volunteer', 'lawyer'] },
          { token: insider },
        )
      ).status,
    ).toBe(200);
    await confirmAll(older.id);
    const second = await legal();
    const again = await http.put<{ error: string }>(
      `/api/cases/${second}/assignee`,
      { userId: older.id },
      { token: insider },
    );
    expect([again.status, again.body.error]).toEqual([403, 'granter_assignment']);
  });
});
