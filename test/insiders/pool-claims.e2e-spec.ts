import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

const DECLINES = 3;

/**
 * A lawyer's account used to read case after case: claim from the pool, read, decline, and
 * claim the same case back (issue 12.7). Now a declined case never returns to the decliner's
 * pool (a coordinator can still assign it to them), and declines are capped per person and
 * day: at the cap the coordinators are told, and the pool is closed to that person until the
 * next day. A pool list no rule of the role could fill is refused rather than answered empty.
 */
describe('the pool, claimed and declined in a loop', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let lawyer: TestUser;
  let coordinator: TestUser;
  const token: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnvironment({ CASE_DECLINES_PER_DAY: String(DECLINES) });
    api = await startApi(env);
    http = new HttpClient(api.url);
    lawyer = await createUser(api.app, ['lawyer']);
    coordinator = await createUser(api.app, ['coordinator']);
    const others = {
      otherLawyer: await createUser(api.app, ['lawyer']),
      volunteer: await createUser(api.app, ['volunteer']),
      responder: await createUser(api.app, ['responder']),
    };
    token.lawyer = await signIn(http, lawyer);
    token.coordinator = await signIn(http, coordinator);
    for (const [name, user] of Object.entries(others)) token[name] = await signIn(http, user);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  async function legalCase(): Promise<string> {
    const receipt = await http.post<{ caseIds: string[] }>(
      '/api/contacts',
      contactBody({ services: ['legal'] }),
      { token: token.volunteer },
    );
    expect(receipt.status).toBe(201);
    return receipt.body.caseIds[0];
  }
  const pool = async (who: string) =>
    http.get<Array<{ id: string }>>('/api/cases?view=pool', { token: token[who] });
  const claim = (id: string, who = 'lawyer') =>
    http.post<{ error?: string; message?: string }>(`/api/cases/${id}/claim`, undefined, {
      token: token[who],
    });

  it("a responder's pool is refused, not answered empty", async () => {
    const answer = await pool('responder');
    expect(answer.status).toBe(403);
  });

  it('a declined case is not claimed back; after the day’s declines the pool is closed and coordinators know', async () => {
    const cases = [];
    for (let i = 0; i < DECLINES + 1; i++) cases.push(await legalCase());

    const first = cases[0];
    expect((await claim(first)).status).toBe(200);
    expect((await http.get(`/api/cases/${first}`, { token: token.lawyer })).status).toBe(200);
    expect(
      (await http.post(`/api/cases/${first}/decline`, undefined, { token: token.lawyer })).status,
    ).toBe(200);
    // Back in the pool for others, not for the one who declined it.
    expect((await pool('otherLawyer')).body.map((c) => c.id)).toContain(first);
    expect((await pool('lawyer')).body.map((c) => c.id)).not.toContain(first);
    expect((await claim(first)).status).toBe(404);

    for (const id of cases.slice(1, DECLINES)) {
      expect((await claim(id)).status).toBe(200);
      expect(
        (await http.post(`/api/cases/${id}/decline`, undefined, { token: token.lawyer })).status,
      ).toBe(200);
    }
    const refused = await claim(cases[DECLINES]);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'too_many_declines' });
    // Another lawyer is not affected.
    expect((await claim(cases[DECLINES], 'otherLawyer')).status).toBe(200);

    const told = await http.get<Array<{ type: string; aboutUserId: string | null }>>(
      '/api/notifications',
      { token: token.coordinator },
    );
    expect(told.body.filter((n) => n.type === 'decline_burst')).toEqual([
      expect.objectContaining({ aboutUserId: lawyer.id }),
    ]);

    // A coordinator can still give the lawyer the case they declined.
    const assigned = await http.put(
      `/api/cases/${first}/assignee`,
      { userId: lawyer.id },
      { token: token.coordinator },
    );
    expect(assigned.status).toBe(200);
  });
});
