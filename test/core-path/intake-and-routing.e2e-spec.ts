import { INestApplicationContext } from '@nestjs/common';
import { RoutingService } from '@mayak/cases';
import { OutboxLedger } from '@mayak/platform';
import { StaffLoad } from '@mayak/staffing';
import {
  backdateContact,
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

describe('intake and routing', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let volunteer: TestUser;
  let volunteerToken: string;
  const staff: Record<string, { user: TestUser; token: string }> = {};

  const availability = (name: string, body: Record<string, unknown>) =>
    http.put('/api/staff/me/availability', body, { token: staff[name].token });

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    volunteer = await createUser(api.app, ['volunteer']);
    volunteerToken = await signIn(http, volunteer);
    for (const [name, role] of [
      ['busyLawyer', 'lawyer'],
      ['freeLawyer', 'lawyer'],
      ['offShiftLawyer', 'lawyer'],
      ['moscowLawyer', 'lawyer'],
      ['psychologist', 'psychologist'],
    ] as const) {
      const user = await createUser(api.app, [role]);
      staff[name] = { user, token: await signIn(http, user) };
    }
    expect(
      (await availability('busyLawyer', { onShift: true, capacity: 10, regions: [] })).status,
    ).toBe(200);
    expect(
      (await availability('freeLawyer', { onShift: true, capacity: 10, regions: [] })).status,
    ).toBe(200);
    expect(
      (await availability('offShiftLawyer', { onShift: false, capacity: 10, regions: [] })).status,
    ).toBe(200);
    expect(
      (await availability('moscowLawyer', { onShift: true, capacity: 10, regions: ['RU-MOW'] }))
        .status,
    ).toBe(200);
    expect(
      (await availability('psychologist', { onShift: true, capacity: 5, regions: [] })).status,
    ).toBe(200);
    // The busy lawyer already carries open cases.
    await env.db.query(`UPDATE staff_availability SET open_cases = 3 WHERE user_id = $1`, [
      staff.busyLawyer.user.id,
    ]);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  const assigneeOf = async (caseId: string): Promise<string | undefined> => {
    const [row] = await env.db.query(`SELECT status, assignee_id FROM cases WHERE id = $1`, [
      caseId,
    ]);
    return row?.status === 'assigned' ? (row.assignee_id as string) : undefined;
  };
  /** The outbox rows of a BullMQ job: its id is the row's job key. */
  const outboxRowsOf = async (jobId: string): Promise<number> =>
    (
      await env.db.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM outbox WHERE job_key = $1`,
        [jobId],
      )
    )[0].n;
  /**
   * Read as soon as the case is decided: the job's row went in the commit that decided it, and
   * the worker marks nothing done after the job.
   */
  const expectSettled = async (jobId: string, markDone: jest.SpyInstance): Promise<void> => {
    expect(await outboxRowsOf(jobId)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(markDone.mock.calls.filter(([id]) => id === jobId)).toEqual([]);
  };
  /** The job that asked the worker's RoutingService to route this case, as it was asked. */
  const routingJobOf = (route: jest.SpyInstance, caseId: string): string | undefined =>
    route.mock.calls.find(([id]) => id === caseId)?.[1] as string | undefined;

  it('a call asking for legal and psychological help raises two cases, routed within 2 s to the least-loaded on-shift staff', async () => {
    const started = Date.now();
    const response = await http.post(
      '/api/contacts',
      contactBody({
        region: 'RU-SPE',
        services: ['legal', 'psych'],
        consent: {
          scopes: ['service:legal', 'service:psych', 'statistics'],
          textVersion: '2026-01',
          retentionDays: 365,
        },
      }),
      { token: volunteerToken },
    );
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      callerId: expect.any(String),
      caseIds: [expect.any(String), expect.any(String)],
      repeatCaller: { previousContacts: 0 },
    });
    const services: Array<{ id: string; service: string }> = await env.db.query(
      `SELECT id, service FROM cases WHERE contact_id = $1`,
      [response.body.id],
    );
    const legal = services.find((c) => c.service === 'legal')!.id;
    const psych = services.find((c) => c.service === 'psych')!.id;
    // Not the busy lawyer (3 open), not the off-shift one, not the one who only takes Moscow.
    expect(await eventually('the legal case to be assigned', () => assigneeOf(legal), 2_000)).toBe(
      staff.freeLawyer.user.id,
    );
    expect(await eventually('the psych case to be assigned', () => assigneeOf(psych), 2_000)).toBe(
      staff.psychologist.user.id,
    );
    expect(Date.now() - started).toBeLessThan(2_000);

    // The assignee is told, and sees it in "my cases".
    await eventually('the notification', async () => {
      const [n] = await env.db.query(
        `SELECT type FROM notifications WHERE user_id = $1 AND case_id = $2`,
        [staff.freeLawyer.user.id, legal],
      );
      return n?.type === 'case_assigned';
    });
    const mine = await http.get('/api/cases?view=mine&service=legal', {
      token: staff.freeLawyer.token,
    });
    expect(mine.status).toBe(200);
    expect(mine.body.map((c: { id: string }) => c.id)).toContain(legal);
  });

  it('matches the case region for staff who keep a region list', async () => {
    // Make the Moscow lawyer the least loaded: only a Moscow case may go to them.
    await env.db.query(`UPDATE staff_availability SET open_cases = 0 WHERE user_id = $1`, [
      staff.moscowLawyer.user.id,
    ]);
    await env.db.query(`UPDATE staff_availability SET open_cases = 5 WHERE user_id = $1`, [
      staff.freeLawyer.user.id,
    ]);
    const spb = await http.post('/api/contacts', contactBody({ region: 'RU-SPE' }), {
      token: volunteerToken,
    });
    const msk = await http.post('/api/contacts', contactBody({ region: 'RU-MOW' }), {
      token: volunteerToken,
    });
    expect(await eventually('spb routed', () => assigneeOf(spb.body.caseIds[0]))).not.toBe(
      staff.moscowLawyer.user.id,
    );
    expect(await eventually('msk routed', () => assigneeOf(msk.body.caseIds[0]))).toBe(
      staff.moscowLawyer.user.id,
    );
  });

  it("a routing ends its job's outbox row in the transaction that assigns the case: no done-mark follows it", async () => {
    const route = jest.spyOn(worker.get(RoutingService), 'route');
    const markDone = jest.spyOn(worker.get(OutboxLedger), 'markDone');
    try {
      const response = await http.post('/api/contacts', contactBody(), { token: volunteerToken });
      expect(response.status).toBe(201);
      const caseId: string = response.body.caseIds[0];
      await eventually('the legal case to be assigned', () => assigneeOf(caseId));
      const jobId = routingJobOf(route, caseId);
      expect(jobId).toMatch(/^j[0-9a-f]{32}$/);
      await expectSettled(jobId!, markDone);
    } finally {
      route.mockRestore();
      markDone.mockRestore();
    }
  });

  it('leaves a case in the pool when no one fits, and never exceeds capacity', async () => {
    await env.db.query(
      `UPDATE staff_availability SET capacity = open_cases WHERE user_id IN (SELECT id FROM users WHERE 'lawyer' = ANY(roles))`,
    );
    // Every lawyer was among those the batch looked at (none held elsewhere), all full: the
    // batch knows no one fits without asking again (StaffLoad.reserveMany's null).
    const anyFits = jest.spyOn(worker.get(StaffLoad), 'anyFits');
    const route = jest.spyOn(worker.get(RoutingService), 'route');
    const response = await http.post('/api/contacts', contactBody(), { token: volunteerToken });
    const caseId = response.body.caseIds[0];
    try {
      const routed = await eventually('the case to be routed', async () => {
        const call = route.mock.calls.findIndex(([id]) => id === caseId);
        return call < 0 ? undefined : route.mock.results[call].value;
      });
      expect(routed).toBe('pooled');
      expect(anyFits).not.toHaveBeenCalled();
    } finally {
      anyFits.mockRestore();
      route.mockRestore();
    }
    const [row] = await env.db.query(`SELECT status, assignee_id FROM cases WHERE id = $1`, [
      caseId,
    ]);
    expect(row).toEqual({ status: 'queued', assignee_id: null });
    const pool = await http.get('/api/cases?view=pool&service=legal', {
      token: staff.offShiftLawyer.token,
    });
    expect(pool.status).toBe(200);
    const entry = pool.body.find((c: { id: string }) => c.id === caseId);
    // Metadata only until claimed.
    expect(Object.keys(entry).sort()).toEqual([
      'ageBand',
      'createdAt',
      'id',
      'region',
      'service',
      'topics',
      'waitingSeconds',
    ]);
    const over: Array<{ n: number }> = await env.db.query(
      `SELECT count(*)::int AS n FROM staff_availability WHERE open_cases > capacity`,
    );
    expect(over[0].n).toBe(0);
    await env.db.query(`UPDATE staff_availability SET capacity = 10`);
  });

  it('does not pool a case while the only free colleague is being given another case', async () => {
    // Another routing holds the psychologist's row (as while it assigns them a case): the
    // case waits for that routing to commit, then goes to them, not to the pool.
    await env.db.query(
      `UPDATE staff_availability SET open_cases = 0, capacity = 5 WHERE user_id = $1`,
      [staff.psychologist.user.id],
    );
    const concurrent = env.db.createQueryRunner();
    let anyFits: jest.SpyInstance | undefined;
    const route = jest.spyOn(worker.get(RoutingService), 'route');
    const markDone = jest.spyOn(worker.get(OutboxLedger), 'markDone');
    await concurrent.connect();
    await concurrent.startTransaction();
    try {
      await concurrent.query(`SELECT 1 FROM staff_availability WHERE user_id = $1 FOR UPDATE`, [
        staff.psychologist.user.id,
      ]);
      // The batch skipped the held row, so it cannot tell whether anyone fits: it asks.
      anyFits = jest.spyOn(worker.get(StaffLoad), 'anyFits');
      const response = await http.post(
        '/api/contacts',
        contactBody({
          services: ['psych'],
          consent: { scopes: ['service:psych'], textVersion: '2026-01', retentionDays: 365 },
        }),
        { token: volunteerToken },
      );
      expect(response.status).toBe(201);
      const caseId: string = response.body.caseIds[0];
      // The routing job has reached the locked row and waits there.
      await eventually('routing to wait on the held row', async () => {
        const waiting: unknown[] = await env.db.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND query LIKE '%staff_availability%'`,
        );
        return waiting.length > 0;
      });
      expect(await assigneeOf(caseId)).toBeUndefined();
      expect(anyFits).toHaveBeenCalledTimes(1);
      // The batch left the case contended and committed: the job's row stays until the case
      // is decided, so a crash now would send the job again.
      const jobId = routingJobOf(route, caseId);
      expect(jobId).toMatch(/^j[0-9a-f]{32}$/);
      expect(await outboxRowsOf(jobId!)).toBe(1);
      await concurrent.commitTransaction();
      expect(await eventually('the psych case to be assigned', () => assigneeOf(caseId))).toBe(
        staff.psychologist.user.id,
      );
      // Routed alone, the case and the end of its job committed together.
      await expectSettled(jobId!, markDone);
    } finally {
      route.mockRestore();
      markDone.mockRestore();
      anyFits?.mockRestore();
      if (concurrent.isTransactionActive) await concurrent.rollbackTransaction();
      await concurrent.release();
    }
  });

  it('routes a burst in one transaction as a pick per case would: least loaded first, by region, never a decliner, never over capacity', async () => {
    // Everyone off shift: the burst's own jobs leave its cases queued, in the pool.
    await env.db.query(`UPDATE staff_availability SET on_shift = false`);
    const regions = [
      'RU-SPE',
      'RU-MOW',
      'RU-SPE',
      'RU-SPE',
      'RU-MOW',
      'RU-SPE',
      'RU-SPE',
      'RU-MOW',
    ];
    const answers = await Promise.all(
      regions.map((region) =>
        http.post('/api/contacts', contactBody({ region }), { token: volunteerToken }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(regions.map(() => 201));
    const caseIds: string[] = answers.map((a) => a.body.caseIds[0]);
    await eventually('the burst to be routed to the pool', async () => {
      const [{ n }] = await env.db.query(
        `SELECT count(*)::int AS n FROM outbox WHERE status <> 'done'`,
      );
      return n === 0;
    });
    // The free lawyer declined one of them before.
    await env.db.query(`UPDATE cases SET declined_by = ARRAY[$2::uuid] WHERE id = $1`, [
      caseIds[2],
      staff.freeLawyer.user.id,
    ]);
    const set = (name: string, openCases: number, capacity: number, regionList: string[]) =>
      env.db.query(
        `UPDATE staff_availability SET on_shift = true, open_cases = $2, capacity = $3, regions = $4
          WHERE user_id = $1`,
        [staff[name].user.id, openCases, capacity, regionList],
      );
    await set('freeLawyer', 0, 3, []);
    await set('busyLawyer', 2, 4, []);
    await set('moscowLawyer', 1, 10, ['RU-MOW']);
    const before: Array<{
      user_id: string;
      open_cases: number;
      capacity: number;
      regions: string[];
    }> = await env.db.query(
      `SELECT a.user_id, a.open_cases, a.capacity, a.regions FROM staff_availability a
         JOIN users u ON u.id = a.user_id
        WHERE a.on_shift AND 'lawyer' = ANY(u.roles)
        ORDER BY a.open_cases, a.updated_at, a.user_id`,
    );
    // What a pick per case, in turn, would give: the least loaded who fits, ties in the order
    // of (updated_at, id), which `before` is in.
    const load = new Map(before.map((m) => [m.user_id, m.open_cases]));
    const expected = caseIds.map((_, i) => {
      const fits = before.filter(
        (m) =>
          load.get(m.user_id)! < m.capacity &&
          (m.regions.length === 0 || m.regions.includes(regions[i])) &&
          !(i === 2 && m.user_id === staff.freeLawyer.user.id),
      );
      const best = fits.reduce<(typeof fits)[number] | undefined>(
        (a, m) => (!a || load.get(m.user_id)! < load.get(a.user_id)! ? m : a),
        undefined,
      );
      if (best) load.set(best.user_id, load.get(best.user_id)! + 1);
      return best?.user_id;
    });
    // Room for seven of eight: one is pooled.
    expect(expected.filter((a) => a === undefined)).toHaveLength(1);

    // Submitted in one turn of the event loop: routed in one transaction.
    const routing = worker.get(RoutingService);
    const results = await Promise.all(caseIds.map((caseId) => routing.route(caseId)));
    expect(results).toEqual(expected.map((a) => (a ? 'assigned' : 'pooled')));
    const rows: Array<{ id: string; assignee_id: string | null; tx: string }> = await env.db.query(
      `SELECT id, assignee_id, xmin::text AS tx FROM cases WHERE id = ANY($1::uuid[])`,
      [caseIds],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(caseIds.map((id) => byId.get(id)!.assignee_id ?? undefined)).toEqual(expected);
    expect(new Set(rows.filter((r) => r.assignee_id).map((r) => r.tx)).size).toBe(1);
    // Each reservation counted once; no one over capacity.
    const after: Array<{ user_id: string; open_cases: number; capacity: number }> =
      await env.db.query(
        `SELECT user_id, open_cases, capacity FROM staff_availability WHERE user_id = ANY($1::uuid[])`,
        [before.map((m) => m.user_id)],
      );
    for (const m of after) {
      expect(m.open_cases).toBe(load.get(m.user_id));
      expect(m.open_cases).toBeLessThanOrEqual(m.capacity);
    }
    // Routed again, nothing moves.
    expect(await Promise.all(caseIds.map((caseId) => routing.route(caseId)))).toEqual(
      expected.map((a) => (a ? 'not_queued' : 'pooled')),
    );
    await env.db.query(
      `UPDATE staff_availability SET on_shift = true, capacity = 10, regions = '{}'`,
    );
    await env.db.query(`UPDATE staff_availability SET on_shift = false WHERE user_id = $1`, [
      staff.offShiftLawyer.user.id,
    ]);
    await env.db.query(
      `UPDATE staff_availability SET regions = ARRAY['RU-MOW'] WHERE user_id = $1`,
      [staff.moscowLawyer.user.id],
    );
  });

  it('a burst is not given to the least loaded who take only other regions: the next least loaded who take its own share it', async () => {
    await env.db.query(`UPDATE staff_availability SET on_shift = false`);
    const regions = ['RU-SPE', 'RU-SPE', 'RU-SPE', 'RU-MOW'];
    const answers = await Promise.all(
      regions.map((region) =>
        http.post('/api/contacts', contactBody({ region }), { token: volunteerToken }),
      ),
    );
    const caseIds: string[] = answers.map((a) => a.body.caseIds[0]);
    await eventually('the burst to be routed to the pool', async () => {
      const [{ n }] = await env.db.query(
        `SELECT count(*)::int AS n FROM outbox WHERE status <> 'done'`,
      );
      return n === 0;
    });
    // Two Moscow lawyers are the least loaded of all, and take no St Petersburg case.
    const secondMoscow = await createUser(api.app, ['lawyer']);
    await env.db.query(
      `INSERT INTO staff_availability (user_id, on_shift, capacity, regions, open_cases)
       VALUES ($1, true, 10, ARRAY['RU-MOW'], 0)`,
      [secondMoscow.id],
    );
    const set = (userId: string, openCases: number, regionList: string[]) =>
      env.db.query(
        `UPDATE staff_availability SET on_shift = true, open_cases = $2, capacity = 10, regions = $3
          WHERE user_id = $1`,
        [userId, openCases, regionList],
      );
    await set(staff.moscowLawyer.user.id, 0, ['RU-MOW']);
    const others = [staff.freeLawyer, staff.busyLawyer, staff.offShiftLawyer].map((s) => s.user.id);
    for (const id of others) await set(id, 1, []);
    const routing = worker.get(RoutingService);
    expect(await Promise.all(caseIds.map((caseId) => routing.route(caseId)))).toEqual(
      regions.map(() => 'assigned'),
    );
    const rows: Array<{ id: string; assignee_id: string }> = await env.db.query(
      `SELECT id, assignee_id FROM cases WHERE id = ANY($1::uuid[])`,
      [caseIds],
    );
    const assignee = new Map(rows.map((r) => [r.id, r.assignee_id]));
    // One St Petersburg case each for the three who take it, none twice.
    expect(
      caseIds
        .slice(0, 3)
        .map((id) => assignee.get(id))
        .sort(),
    ).toEqual([...others].sort());
    expect([staff.moscowLawyer.user.id, secondMoscow.id]).toContain(assignee.get(caseIds[3]));
    await env.db.query(`DELETE FROM staff_availability WHERE user_id = $1`, [secondMoscow.id]);
    await env.db.query(`UPDATE staff_availability SET on_shift = true, capacity = 10`);
    await env.db.query(`UPDATE staff_availability SET on_shift = false WHERE user_id = $1`, [
      staff.offShiftLawyer.user.id,
    ]);
  });

  it('a declined case goes back to routing and never to the same person', async () => {
    await env.db.query(`UPDATE staff_availability SET open_cases = 0, capacity = 10`);
    const response = await http.post('/api/contacts', contactBody({ region: 'RU-KDA' }), {
      token: volunteerToken,
    });
    const caseId = response.body.caseIds[0];
    const first = await eventually('first assignment', () => assigneeOf(caseId));
    const firstToken = Object.values(staff).find((s) => s.user.id === first)!.token;
    expect(
      (await http.post(`/api/cases/${caseId}/decline`, undefined, { token: firstToken })).status,
    ).toBe(200);
    const second = await eventually('second assignment', async () => {
      const a = await assigneeOf(caseId);
      return a && a !== first ? a : undefined;
    });
    expect(second).not.toBe(first);
    const [{ declined_by }] = await env.db.query(`SELECT declined_by FROM cases WHERE id = $1`, [
      caseId,
    ]);
    expect(declined_by).toEqual([first]);
  });

  it('tells the volunteer when a caller has called before, and how many times', async () => {
    const identifier = '+7 (921) 555-01-02';
    const first = await http.post('/api/contacts', contactBody({ caller: { identifier } }), {
      token: volunteerToken,
    });
    expect(first.body.repeatCaller).toEqual({ previousContacts: 0 });
    const lookup = await http.post(
      '/api/callers/lookup',
      { identifier: '89215550102' },
      { token: volunteerToken },
    );
    expect(lookup.body).toMatchObject({ previousContacts: 1 });
    const second = await http.post(
      '/api/contacts',
      contactBody({ caller: { identifier: '89215550102' } }),
      { token: volunteerToken },
    );
    expect(second.body.repeatCaller).toEqual({ previousContacts: 1 });
    expect(second.body.callerId).toBe(first.body.callerId);
    const third = await http.post(
      '/api/contacts',
      contactBody({ caller: { identifier: '+79215550102' } }),
      { token: volunteerToken },
    );
    expect(third.body.repeatCaller).toEqual({ previousContacts: 2 });
  });

  it('a service requested without its consent scope is a 400, and nothing is written', async () => {
    const [{ n: before }] = await env.db.query(`SELECT count(*)::int AS n FROM contacts`);
    const response = await http.post(
      '/api/contacts',
      contactBody({
        services: ['legal', 'psych'],
        consent: { scopes: ['service:legal'], textVersion: '2026-01', retentionDays: 30 },
      }),
      { token: volunteerToken },
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: 'consent_missing',
      fields: { services: ['psych needs the consent scope service:psych'] },
    });
    const [{ n: after }] = await env.db.query(`SELECT count(*)::int AS n FROM contacts`);
    expect(after).toBe(before);
  });

  it('invalid input gets a 400 that names each bad field', async () => {
    const response = await http.post(
      '/api/contacts',
      contactBody({
        channel: 'pigeon',
        region: 'RU-XYZ',
        startedAt: 'yesterday',
        caller: { ageBand: '30' },
        topics: ['detention', 'unknown-topic'],
      }),
      { token: volunteerToken },
    );
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields).sort()).toEqual([
      'caller.ageBand',
      'channel',
      'region',
      'startedAt',
      'topics',
    ]);
  });

  it('lists the volunteer’s own contacts of the last 24 hours, and not older ones', async () => {
    const fresh = await http.post('/api/contacts', contactBody({ summary: 'fresh call' }), {
      token: volunteerToken,
    });
    const old = await http.post('/api/contacts', contactBody({ summary: 'old call' }), {
      token: volunteerToken,
    });
    await backdateContact(api.app, old.body.id, 25 * 3_600_000);
    const mine = await http.get('/api/contacts/mine', { token: volunteerToken });
    expect(mine.status).toBe(200);
    const ids = mine.body.map((c: { id: string }) => c.id);
    expect(ids).toContain(fresh.body.id);
    expect(ids).not.toContain(old.body.id);
    const entry = mine.body.find((c: { id: string }) => c.id === fresh.body.id);
    expect(entry).toMatchObject({
      summary: 'fresh call',
      caseIds: fresh.body.caseIds,
      cases: [{ id: fresh.body.caseIds[0], service: 'legal', status: expect.any(String) }],
      caller: { pseudonym: 'Anna' },
    });
    // Someone else's contacts are not theirs to see.
    const other = await createUser(api.app, ['volunteer']);
    const otherMine = await http.get('/api/contacts/mine', { token: await signIn(http, other) });
    expect(otherMine.body).toEqual([]);
  });
});

describe('intake refuses malformed nesting', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let token: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    token = await signIn(http, await createUser(api.app, ['volunteer']));
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['consent missing', { consent: undefined }, 'consent'],
    ['consent an array', { consent: [] }, 'consent'],
    ['caller an array', { caller: [{ identifier: '+79991234567' }] }, 'caller'],
    [
      'contactBack an array',
      {
        consent: {
          scopes: ['contact_back'],
          textVersion: '2026-01',
          retentionDays: 30,
          contactBack: [{}],
        },
        services: [],
      },
      'consent.contactBack',
    ],
  ])('%s is a 400 naming it, never a 500 or a silent drop', async (_name, overrides, field) => {
    const body = contactBody(overrides);
    if (overrides.consent === undefined && 'consent' in overrides) delete body.consent;
    const response = await http.post('/api/contacts', body, { token });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields)).toContain(field);
  });
});
