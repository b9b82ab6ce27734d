import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
} from '@mayak/testing';

/**
 * Each service's case is sealed from the others (issue 12.7): a lawyer reading the contact
 * behind their case must not learn that the caller also asked a psychologist, or for
 * emergency help. Before, the contact's view listed every service sought.
 */
describe("one service's view of a contact", () => {
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

  it('names only the service of the case being read', async () => {
    const volunteer = await signIn(http, await createUser(api.app, ['volunteer']));
    const receipt = await http.post<{ id: string }>(
      '/api/contacts',
      contactBody({
        services: ['legal', 'psych'],
        consent: {
          scopes: ['service:legal', 'service:psych', 'statistics'],
          textVersion: '2026-01',
          retentionDays: 365,
        },
      }),
      { token: volunteer },
    );
    expect(receipt.status).toBe(201);
    const cases: Array<{ id: string; service: string }> = await env.db.query(
      `SELECT id, service FROM cases WHERE contact_id = $1`,
      [receipt.body.id],
    );
    for (const [service, role, other] of [
      ['legal', 'lawyer', 'psych'],
      ['psych', 'psychologist', 'legal'],
    ] as const) {
      const token = await signIn(http, await createUser(api.app, [role]));
      const id = cases.find((c) => c.service === service)!.id;
      expect((await http.post(`/api/cases/${id}/claim`, undefined, { token })).status).toBe(200);
      const read = await http.get<{ contact: { services: string[] } }>(`/api/cases/${id}`, {
        token,
      });
      expect(read.status).toBe(200);
      expect(read.body.contact.services).toEqual([service]);
      expect(JSON.stringify(read.body)).not.toContain(`"${other}"`);
    }
  });
});
