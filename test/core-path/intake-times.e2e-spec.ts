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
 * What intake writes beside the contact must not carry the moment of the call: a consent's or
 * a caller's exact time, joined with the telephone records, finds the call as surely as the
 * contact's own start time does. They hold the day.
 */
describe('times written at intake', () => {
  let env: TestEnvironment;
  let api: RunningApi;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('consents and callers keep only the week, through intake, a repeat call and a withdrawal', async () => {
    const http = new HttpClient(api.url);
    const token = await signIn(http, await createUser(api.app, ['volunteer']));
    const caller = { ...contactBody().caller, identifier: '+79160001122' };
    const first = await http.post<{ callerId: string }>('/api/contacts', contactBody({ caller }), {
      token,
    });
    expect(first.status).toBe(201);
    await http.post('/api/contacts', contactBody({ caller }), { token });
    const withdrawn = await http.post(
      `/api/callers/${first.body.callerId}/consent/withdraw`,
      { scopes: ['contact_back'] },
      { token },
    );
    expect(withdrawn.status).toBe(200);

    // Not even the day: a consent keeps its call's week (its Monday in STATS_TIMEZONE), a
    // caller the week (UTC) it was last in touch.
    const tz = env.config.STATS_TIMEZONE;
    const finer = (column: string, zone?: string) =>
      `count(*) FILTER (WHERE ${column} IS NOT NULL AND ${column} <> date_trunc('week', ${column}${zone ? `, '${zone}'` : ''}))::int`;
    const [counts] = await env.db.query(
      `SELECT (SELECT ${finer('given_at', tz)} + ${finer('withdrawn_at', tz)} FROM consents) AS consents,
              (SELECT ${finer('created_at')} + ${finer('updated_at')} FROM callers) AS callers,
              (SELECT count(*)::int FROM consents WHERE withdrawn_at IS NOT NULL) AS withdrawals`,
    );
    expect(counts).toEqual({ consents: 0, callers: 0, withdrawals: 2 });
  });
});
