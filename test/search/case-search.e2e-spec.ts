import { AuditReferences } from '@mayak/audit';
import { ExactTimes } from '@mayak/platform';
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

const DAY = 86_400_000;

interface Page {
  items: Array<Record<string, any>>;
  total: number;
  limit: number;
  offset: number;
  truncated: boolean;
}

/**
 * Searching cases (issue 13.4): a specialist over their own cases, a coordinator over every
 * case's metadata; filters on codes and dates, sorted, paged, under the one case policy and
 * audited. No worker runs: the lawyer claims what the tests need.
 */
describe('case search', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  const users: Record<string, TestUser> = {};
  const tokens: Record<string, string> = {};
  /** The lawyer's cases, by name. */
  const cases: Record<string, string> = {};

  /** Moves one of a case's times, as open work keeps it: the week in the clear, the moment sealed. */
  const setTime = async (caseId: string, column: 'created_at' | 'due_at', at: Date) => {
    const { week, sealed } = api.app
      .get(ExactTimes)
      .seal({ table: 'cases', id: caseId, column }, at);
    const enc = column === 'created_at' ? 'created_enc' : 'due_enc';
    await env.db.query(`UPDATE cases SET ${column} = $2, ${enc} = $3 WHERE id = $1`, [
      caseId,
      week,
      sealed,
    ]);
  };

  const openLegal = async (overrides: Record<string, unknown>): Promise<string> => {
    const receipt = await http.post('/api/contacts', contactBody(overrides), {
      token: tokens.volunteer,
    });
    expect(receipt.status).toBe(201);
    return receipt.body.caseIds[0] as string;
  };

  const search = (who: string, query: string) =>
    http.get<Page & Record<string, any>>(`/api/cases/search?${query}`, { token: tokens[who] });

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    for (const [name, roles] of [
      ['volunteer', ['volunteer']],
      ['lawyer', ['lawyer']],
      ['otherLawyer', ['lawyer']],
      ['coordinator', ['coordinator']],
      ['responder', ['responder']],
      ['admin', ['admin']],
    ] as const) {
      users[name] = await createUser(api.app, [...roles]);
      tokens[name] = await signIn(http, users[name]);
    }
    const now = Date.now();
    // Three of the lawyer's cases: different regions, topics, days; one overdue, one closed.
    cases.spbOld = await openLegal({ region: 'RU-SPE', topics: ['detention'] });
    cases.mowNew = await openLegal({ region: 'RU-MOW', topics: ['violence'] });
    cases.spbClosed = await openLegal({ region: 'RU-SPE', topics: ['violence'] });
    // Someone else's, and one waiting in the pool: never in the lawyer's search.
    cases.others = await openLegal({ region: 'RU-SPE', topics: ['detention'] });
    cases.pool = await openLegal({ region: 'RU-SPE', topics: ['detention'] });
    for (const name of ['spbOld', 'mowNew', 'spbClosed'])
      expect(
        (await http.post(`/api/cases/${cases[name]}/claim`, undefined, { token: tokens.lawyer }))
          .status,
      ).toBe(200);
    expect(
      (
        await http.post(`/api/cases/${cases.others}/claim`, undefined, {
          token: tokens.otherLawyer,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await http.post(
          `/api/cases/${cases.spbClosed}/close`,
          { outcome: 'resolved' },
          { token: tokens.lawyer },
        )
      ).status,
    ).toBe(200);
    await setTime(cases.spbOld, 'created_at', new Date(now - 20 * DAY));
    await setTime(cases.spbOld, 'due_at', new Date(now - 18 * DAY));
    await setTime(cases.mowNew, 'created_at', new Date(now - 2 * DAY));
    await setTime(cases.mowNew, 'due_at', new Date(now + 3 * DAY));
    // Closed past its due time: closed is not overdue.
    await setTime(cases.spbClosed, 'due_at', new Date(now - DAY));
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const ids = (page: Page) => page.items.map((c) => c.id as string);

  it('a lawyer finds only their own cases, of any status, newest first, with a total', async () => {
    const found = await search('lawyer', 'scope=mine');
    expect(found.status).toBe(200);
    expect(found.body.total).toBe(3);
    expect(found.body.truncated).toBe(false);
    // The closed one was opened today, the Moscow one two days ago, the old one 20 days ago.
    expect(ids(found.body)).toEqual([cases.spbClosed, cases.mowNew, cases.spbOld]);
    expect(ids(found.body)).not.toContain(cases.others);
    expect(ids(found.body)).not.toContain(cases.pool);
    // The lawyer's own view: topics, never notes or the contact.
    expect(Object.keys(found.body.items[0]).sort()).toEqual(
      [
        'id',
        'service',
        'status',
        'priority',
        'region',
        'ageBand',
        'topics',
        'createdAt',
        'assignedAt',
        'dueAt',
      ].sort(),
    );
  });

  it('filters by status, region, topic, opened and due dates, and overdue', async () => {
    const cases_ = async (query: string) =>
      ids((await search('lawyer', `scope=mine&${query}`)).body);
    expect(await cases_('status=closed')).toEqual([cases.spbClosed]);
    expect(await cases_('region=RU-SPE')).toEqual([cases.spbClosed, cases.spbOld]);
    expect(await cases_('topic=violence')).toEqual([cases.spbClosed, cases.mowNew]);
    expect(await cases_('region=RU-SPE&topic=violence')).toEqual([cases.spbClosed]);
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    const now = Date.now();
    expect(await cases_(`openedFrom=${iso(now - 5 * DAY)}&openedTo=${iso(now - DAY)}`)).toEqual([
      cases.mowNew,
    ]);
    expect(await cases_(`openedTo=${iso(now - 10 * DAY)}`)).toEqual([cases.spbOld]);
    expect(await cases_(`dueFrom=${iso(now + DAY)}&dueTo=${iso(now + 5 * DAY)}`)).toEqual([
      cases.mowNew,
    ]);
    // Overdue: open and past due; the closed one is past nothing.
    expect(await cases_('overdue=true')).toEqual([cases.spbOld]);
  });

  it('sorts by due date either way, and pages with limit and offset', async () => {
    const byDue = await search('lawyer', 'scope=mine&sort=due&order=asc');
    expect(ids(byDue.body)).toEqual([cases.spbOld, cases.spbClosed, cases.mowNew]);
    const byDueDesc = await search('lawyer', 'scope=mine&sort=due&order=desc');
    expect(ids(byDueDesc.body)).toEqual([cases.mowNew, cases.spbClosed, cases.spbOld]);
    const all = ids((await search('lawyer', 'scope=mine&sort=opened&order=asc')).body);
    expect(all).toEqual([cases.spbOld, cases.mowNew, cases.spbClosed]);
    const first = await search('lawyer', 'scope=mine&sort=opened&order=asc&limit=2');
    const second = await search('lawyer', 'scope=mine&sort=opened&order=asc&limit=2&offset=2');
    expect(first.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(ids(first.body)).toEqual(all.slice(0, 2));
    expect(second.body).toMatchObject({ total: 3, limit: 2, offset: 2 });
    expect(ids(second.body)).toEqual(all.slice(2));
  });

  it('a coordinator searches every case as metadata, but may not filter by topic', async () => {
    const board = await search('coordinator', 'scope=board&region=RU-SPE&sort=opened&order=asc');
    expect(board.status).toBe(200);
    expect(ids(board.body)).toEqual(
      expect.arrayContaining([cases.spbOld, cases.spbClosed, cases.others, cases.pool]),
    );
    expect(ids(board.body)).not.toContain(cases.mowNew);
    for (const item of board.body.items) {
      expect(item).not.toHaveProperty('topics');
      expect(item).not.toHaveProperty('notes');
      expect(item).not.toHaveProperty('contact');
    }
    const overdue = await search('coordinator', 'scope=board&overdue=true');
    expect(ids(overdue.body)).toEqual([cases.spbOld]);

    const byTopic = await search('coordinator', 'scope=board&topic=violence');
    expect(byTopic.status).toBe(403);
    const [denied] = await env.db.query(
      `SELECT outcome, reason FROM audit_entries WHERE actor_id = $1 AND action = 'case:list-board' ORDER BY seq DESC LIMIT 1`,
      [users.coordinator.id],
    );
    expect(denied).toEqual({ outcome: 'deny', reason: 'filter:topics' });
  });

  it('a responder finds the emergencies they took, and nothing of the other services', async () => {
    const receipt = await http.post(
      '/api/contacts',
      contactBody({
        region: 'RU-CE',
        immediateRisk: true,
        services: [],
        consent: { scopes: ['service:emergency'], textVersion: '2026-01', retentionDays: 365 },
      }),
      { token: tokens.volunteer },
    );
    const emergency = receipt.body.caseIds[0] as string;
    // As an acknowledgement leaves it (no worker pages here).
    await env.db.query(`UPDATE cases SET status = 'in_progress', assignee_id = $2 WHERE id = $1`, [
      emergency,
      users.responder.id,
    ]);
    const found = await search('responder', 'scope=mine');
    expect(found.status).toBe(200);
    expect(ids(found.body)).toEqual([emergency]);
    expect(found.body.items[0]).toMatchObject({ service: 'emergency', region: 'RU-CE' });
    expect(ids((await search('responder', 'scope=mine&service=legal')).body)).toEqual([]);
  });

  it('refuses a role the scope is not for, and audits the refusal', async () => {
    for (const [who, scope] of [
      ['volunteer', 'mine'],
      ['admin', 'mine'],
      ['lawyer', 'board'],
      ['volunteer', 'board'],
    ] as const) {
      const response = await search(who, `scope=${scope}`);
      expect({ who, scope, status: response.status }).toEqual({ who, scope, status: 403 });
    }
    const [entry] = await env.db.query(
      `SELECT outcome, reason FROM audit_entries WHERE actor_id = $1 AND action = 'case:list-mine' ORDER BY seq DESC LIMIT 1`,
      [users.volunteer.id],
    );
    expect(entry).toEqual({ outcome: 'deny', reason: 'role' });
  });

  it('audits each search with the number of rows it returned', async () => {
    await search('lawyer', 'scope=mine&region=RU-MOW');
    const [entry] = await env.db.query(
      `SELECT outcome, reason FROM audit_entries WHERE actor_id = $1 AND action = 'case:list-mine' ORDER BY seq DESC LIMIT 1`,
      [users.lawyer.id],
    );
    expect(entry).toEqual({ outcome: 'allow', reason: 'rows:1' });
  });

  it('answers bad filters with 400 and field messages, never a 500', async () => {
    for (const [query, field] of [
      ['scope=everything', 'scope'],
      ['scope=mine&status=lost', 'status'],
      ['scope=mine&region=Moscow', 'region'],
      ['scope=mine&topic=anything', 'topic'],
      ['scope=mine&openedFrom=yesterday', 'openedFrom'],
      ['scope=mine&openedTo=0000-01-01T00:00:00.000Z', 'openedTo'],
      ['scope=mine&dueFrom=9999-12-31T00:00:00.000Z', 'dueFrom'],
      ['scope=mine&overdue=maybe', 'overdue'],
      ['scope=mine&sort=name', 'sort'],
      ['scope=mine&limit=0', 'limit'],
      ['scope=mine&limit=1000', 'limit'],
      ['scope=mine&offset=-1', 'offset'],
      ['scope=mine&callerPhone=79001234567', 'callerPhone'],
    ] as const) {
      const response = await search('lawyer', query);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(Object.keys(response.body.fields ?? {})).toContain(field);
    }
  });

  describe('earlier cases of the same caller', () => {
    const phone = '+79005550101';
    const earlier: Record<string, string> = {};

    beforeAll(async () => {
      const caller = { ...contactBody().caller, identifier: phone };
      // A legal case the other lawyer worked; a psychological one (another service); a legal
      // one whose caller withdrew legal consent; then today's case, the lawyer's.
      earlier.legal = await openLegal({ caller });
      expect(
        (
          await http.post(`/api/cases/${earlier.legal}/claim`, undefined, {
            token: tokens.otherLawyer,
          })
        ).status,
      ).toBe(200);
      const psych = await http.post(
        '/api/contacts',
        contactBody({
          caller,
          services: ['psych'],
          consent: { scopes: ['service:psych'], textVersion: '2026-01', retentionDays: 365 },
        }),
        { token: tokens.volunteer },
      );
      earlier.psych = psych.body.caseIds[0];
      earlier.withdrawn = await openLegal({ caller });
      const [{ contact_id: withdrawnContact }] = await env.db.query(
        `SELECT contact_id FROM cases WHERE id = $1`,
        [earlier.withdrawn],
      );
      await env.db.query(
        `UPDATE consents SET withdrawn_scopes = '{service:legal}' WHERE contact_id = $1`,
        [withdrawnContact],
      );
      earlier.today = await openLegal({ caller });
      expect(
        (await http.post(`/api/cases/${earlier.today}/claim`, undefined, { token: tokens.lawyer }))
          .status,
      ).toBe(200);
    });

    it('the assignee sees the caller’s other cases in their own service, as metadata, consent-scoped', async () => {
      const response = await http.get<Array<Record<string, unknown>>>(
        `/api/cases/${earlier.today}/earlier-cases`,
        { token: tokens.lawyer },
      );
      expect(response.status).toBe(200);
      expect(response.body).toEqual([
        {
          id: earlier.legal,
          openedOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
          status: 'assigned',
          outcome: null,
          mine: false,
        },
      ]);
      const [entry] = await env.db.query(
        `SELECT outcome, reason FROM audit_entries WHERE actor_id = $1 AND action = 'case:caller-history' AND record_id = $2`,
        [users.lawyer.id, api.app.get(AuditReferences).of('case', earlier.today)],
      );
      // No count beside the case: it would say how many cases the caller had.
      expect(entry).toEqual({ outcome: 'allow', reason: null });
    });

    it('anyone else is answered as if the case did not exist, and the denial is audited', async () => {
      for (const who of ['otherLawyer', 'coordinator', 'volunteer', 'admin']) {
        const response = await http.get(`/api/cases/${earlier.today}/earlier-cases`, {
          token: tokens[who],
        });
        expect({ who, status: response.status }).toEqual({ who, status: 404 });
      }
      const [entry] = await env.db.query(
        `SELECT outcome, reason FROM audit_entries WHERE actor_id = $1 AND action = 'case:caller-history' AND record_id = $2`,
        [users.coordinator.id, api.app.get(AuditReferences).of('case', earlier.today)],
      );
      expect(entry).toEqual({ outcome: 'deny', reason: 'role' });
    });
  });
});
