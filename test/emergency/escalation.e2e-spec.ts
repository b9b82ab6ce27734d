import { createHmac } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplicationContext } from '@nestjs/common';
import { AuditReferences } from '@mayak/audit';
import { PagingService } from '@mayak/emergency';
import { WebhooksService } from '@mayak/notifications';
import { Clock, KeyedHash, OutboxLedger, outboxJobKey } from '@mayak/platform';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  exited,
  HttpClient,
  openEventStream,
  RunningApi,
  signIn,
  spawnApp,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

const SLA_SECONDS = 2;

const emergencyBody = (overrides: Record<string, unknown> = {}) =>
  contactBody({
    immediateRisk: true,
    topics: ['violence'],
    summary: 'Partner threatens to kill the caller tonight; caller is hiding at a friend’s flat.',
    consent: {
      scopes: ['service:emergency', 'statistics'],
      textVersion: '2026-01',
      retentionDays: 365,
    },
    services: [],
    ...overrides,
  });

describe('emergency escalation', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext | undefined;
  let http: HttpClient;
  let volunteer: TestUser;
  let coordinator: TestUser;
  const people: Record<string, TestUser> = {};
  const token: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnvironment({
      EMERGENCY_ACK_TIMEOUT_SECONDS: String(SLA_SECONDS),
      OUTBOX_SWEEP_AFTER_SECONDS: '30',
    });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    volunteer = await createUser(api.app, ['volunteer']);
    coordinator = await createUser(api.app, ['coordinator']);
    for (const [name, roles] of [
      ['tier1a', ['responder']],
      ['tier1b', ['responder']],
      ['offShift', ['responder']],
      ['tier2', ['responder']],
      ['tier3', ['coordinator']],
    ] as const) {
      people[name] = await createUser(api.app, [...roles]);
      token[name] = await signIn(http, people[name]);
    }
    token.volunteer = await signIn(http, volunteer);
    token.coordinator = await signIn(http, coordinator);
    const now = Date.now();
    const shift = (name: string, tier: number, fromMs: number, toMs: number) =>
      http.post(
        '/api/rota/shifts',
        {
          userId: people[name].id,
          tier,
          startsAt: new Date(now + fromMs).toISOString(),
          endsAt: new Date(now + toMs).toISOString(),
        },
        { token: token.coordinator },
      );
    for (const [name, tier] of [
      ['tier1a', 1],
      ['tier1b', 1],
      ['tier2', 2],
      ['tier3', 3],
    ] as const)
      expect((await shift(name, tier, -3_600_000, 3_600_000)).status).toBe(201);
    // Not on call now: a shift that ended an hour ago.
    expect((await shift('offShift', 1, -7_200_000, -3_600_000)).status).toBe(201);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  const pages = (
    caseId: string,
  ): Promise<Array<{ tier: number; round: number; recipients: string[]; breached: boolean }>> =>
    env.db.query(
      `SELECT tier, round, recipients, breached_at IS NOT NULL AS breached FROM emergency_pages WHERE case_id = $1 ORDER BY round, tier`,
      [caseId],
    );
  const emergencyOf = async (contactId: string): Promise<string> =>
    (
      await env.db.query(`SELECT id FROM cases WHERE contact_id = $1 AND service = 'emergency'`, [
        contactId,
      ])
    )[0].id;

  it('an emergency contact pages every tier-1 responder on shift within 1 s of the 201, live over server-sent events', async () => {
    const streams = await Promise.all(
      ['tier1a', 'tier1b', 'offShift'].map((n) =>
        openEventStream(`${api.url}/api/notifications/stream`, token[n]),
      ),
    );
    try {
      const response = await http.post('/api/contacts', emergencyBody(), {
        token: token.volunteer,
      });
      const created = Date.now();
      expect(response.status).toBe(201);
      const caseId = await emergencyOf(response.body.id);
      const received = await Promise.all(
        streams
          .slice(0, 2)
          .map((s) =>
            eventually(
              'the page on the stream',
              async () =>
                s.events.find(
                  (e) => e.type === 'notification' && JSON.parse(e.data).caseId === caseId,
                ),
              1_000,
              5,
            ),
          ),
      );
      for (const event of received) {
        expect(event.receivedAt - created).toBeLessThan(1_000);
        expect(JSON.parse(event.data)).toEqual({
          id: expect.any(String),
          type: 'emergency_page',
          caseId,
          aboutUserId: null,
          createdAt: expect.any(String),
          readAt: null,
        });
      }
      // Not the responder whose shift is over.
      expect(streams[2].events.filter((e) => e.type === 'notification')).toEqual([]);
      const listed = await http.get('/api/notifications', { token: token.tier1a });
      expect(listed.body[0]).toMatchObject({ type: 'emergency_page', caseId, readAt: null });
      const board = await http.get('/api/emergencies', { token: token.tier1a });
      expect(board.body.find((e: { id: string }) => e.id === caseId)).toMatchObject({
        tier: 1,
        round: 1,
        consented: true,
        acknowledgedAt: null,
      });
      // Acknowledge, so this case stops climbing.
      expect(
        (await http.post(`/api/cases/${caseId}/acknowledge`, undefined, { token: token.tier1b }))
          .status,
      ).toBe(200);
    } finally {
      streams.forEach((s) => s.close());
    }
  });

  it('without acknowledgement tier 2 is paged after the SLA, then tier 3; an acknowledgement stops the climb', async () => {
    const response = await http.post('/api/contacts', emergencyBody(), { token: token.volunteer });
    const caseId = await emergencyOf(response.body.id);
    const started = Date.now();
    await eventually(
      'tier 2 page',
      async () => (await pages(caseId)).some((p) => p.tier === 2),
      6_000,
      20,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLA_SECONDS * 1000 - 200);
    await eventually(
      'tier 3 page',
      async () => (await pages(caseId)).some((p) => p.tier === 3),
      6_000,
      20,
    );
    expect((await pages(caseId)).map((p) => [p.tier, p.round, p.breached])).toEqual([
      [1, 1, true],
      [2, 1, true],
      [3, 1, false],
    ]);
    expect((await pages(caseId))[1].recipients).toEqual([people.tier2.id]);
    // A paged tier-1 responder (from an earlier tier) may still take it; the tier-3 coordinator too.
    const ack = await http.post(`/api/cases/${caseId}/acknowledge`, undefined, {
      token: token.tier3,
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toEqual({ id: caseId, status: 'assigned', assigneeId: people.tier3.id });
    const again = await http.post(`/api/cases/${caseId}/acknowledge`, undefined, {
      token: token.tier1a,
    });
    expect(again.status).toBe(409);
    // No further page after the acknowledgement, though tier 3's clock would have run out.
    await new Promise((r) => setTimeout(r, SLA_SECONDS * 1000 + 800));
    expect((await pages(caseId)).length).toBe(3);
    const types = (
      await env.db.query(`SELECT type FROM case_events WHERE case_id = $1 ORDER BY id`, [caseId])
    ).map((e: { type: string }) => e.type);
    expect(types).toEqual([
      'created',
      'paged',
      'sla_breached',
      'escalated',
      'paged',
      'sla_breached',
      'escalated',
      'paged',
      'acknowledged',
    ]);
    const audit = await env.db.query(
      `SELECT action, outcome FROM audit_entries WHERE record_type = 'case' AND record_id = $1 ORDER BY seq`,
      [api.app.get(AuditReferences).of('case', caseId)],
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'emergency.page',
      'emergency.sla_breach',
      'emergency.escalate',
      'emergency.page',
      'emergency.sla_breach',
      'emergency.escalate',
      'emergency.page',
      'case:acknowledge',
      'case:acknowledge',
    ]);
    expect(audit[audit.length - 1].outcome).toBe('failure'); // the second, refused acknowledgement
  });

  it('an acknowledgement at tier 1 stops the clock: tier 2 is never paged', async () => {
    const response = await http.post('/api/contacts', emergencyBody(), { token: token.volunteer });
    const caseId = await emergencyOf(response.body.id);
    await eventually('tier 1 page', async () => (await pages(caseId)).length === 1);
    // Someone not paged cannot acknowledge (and learns nothing: 404).
    expect(
      (await http.post(`/api/cases/${caseId}/acknowledge`, undefined, { token: token.offShift }))
        .status,
    ).toBe(404);
    expect(
      (await http.post(`/api/cases/${caseId}/acknowledge`, undefined, { token: token.tier1a }))
        .status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, SLA_SECONDS * 1000 + 800));
    expect((await pages(caseId)).map((p) => p.tier)).toEqual([1]);
  });

  it('a retried check-ack or page job never pages a tier twice', async () => {
    const response = await http.post('/api/contacts', emergencyBody(), { token: token.volunteer });
    const caseId = await emergencyOf(response.body.id);
    await eventually('tier 1 page', async () => (await pages(caseId)).length === 1);
    const paging = worker!.get(PagingService);
    // The timer fires (maybe early in this test) and its job is retried; the page job too.
    const results = await Promise.all([
      paging.checkAck(caseId, 1, 1),
      paging.checkAck(caseId, 1, 1),
    ]);
    expect(results.sort()).toEqual(['already_handled', 'escalated']);
    expect(await paging.page(caseId, 1, 1)).toBe('already_paged');
    await eventually('tier 2 page', async () => (await pages(caseId)).length === 2);
    expect(await paging.page(caseId, 2, 1)).toBe('already_paged');
    const notifications = await env.db.query(
      `SELECT user_id, count(*)::int AS n FROM notifications WHERE case_id = $1 GROUP BY user_id`,
      [caseId],
    );
    for (const n of notifications) expect(n.n).toBe(1);
    await http.post(`/api/cases/${caseId}/acknowledge`, undefined, { token: token.tier2 });
  });

  it("a breach deletes its timer's outbox row in its own transaction: no done-mark follows it", async () => {
    const markDone = jest.spyOn(worker!.get(OutboxLedger), 'markDone');
    const outboxRows = async (key: string): Promise<number> =>
      (
        await env.db.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM outbox WHERE job_key = $1`,
          [key],
        )
      )[0].n;
    try {
      const response = await http.post('/api/contacts', emergencyBody(), {
        token: token.volunteer,
      });
      const caseId = await emergencyOf(response.body.id);
      await eventually('tier 1 page', async () => (await pages(caseId)).length === 1);
      // The rows' keys, and the BullMQ jobs' ids, are keyed hashes of the jobs' own keys.
      const keyOf = (key: string) => outboxJobKey(worker!.get(KeyedHash), key);
      const timer = keyOf(`check-ack-${caseId}-t1-r1`);
      // Written with the page; the job is waiting for the deadline.
      expect(await outboxRows(timer)).toBe(1);
      await eventually(
        'tier 2 page',
        async () => (await pages(caseId)).some((p) => p.tier === 2),
        6_000,
        20,
      );
      // The breach that paged tier 2 committed the row's deletion with it: not a moment later.
      expect(await outboxRows(timer)).toBe(0);
      // The page job of tier 1 was marked done after its handler; the timer's job never is.
      await eventually('the tier 1 page job marked done', async () =>
        markDone.mock.calls.some(([id]) => id === keyOf(`page-${caseId}-t1-r1`)),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(markDone.mock.calls.filter(([id]) => id === timer)).toEqual([]);
      await http.post(`/api/cases/${caseId}/acknowledge`, undefined, { token: token.tier2 });
    } finally {
      markDone.mockRestore();
    }
  });

  it('breaches falling due together run in four transactions at once, no more: one slow breach holds up no other', async () => {
    const caseIds: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await http.post('/api/contacts', emergencyBody(), {
        token: token.volunteer,
      });
      expect(response.status).toBe(201);
      caseIds.push(await emergencyOf(response.body.id));
    }
    for (const caseId of caseIds)
      await eventually('tier 1 page', async () => (await pages(caseId)).length === 1);
    const paging = worker!.get(PagingService);
    // Another transaction holds all five cases: each breach's transaction waits on its lock
    // in PostgreSQL, as a slow one would, and stays under way.
    const blocker = env.db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    const [{ pid: blockerPid }] = await blocker.query(`SELECT pg_backend_pid() AS pid`);
    await blocker.query(`SELECT id FROM cases WHERE id = ANY($1::uuid[]) FOR UPDATE`, [caseIds]);
    const waiting = async (): Promise<number> =>
      (
        await env.db.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
          [blockerPid],
        )
      )[0].n;
    const results: Array<Promise<string>> = [];
    try {
      // One at a time, each in a turn of its own, so that none can join another's batch.
      for (const [n, caseId] of caseIds.slice(0, 4).entries()) {
        results.push(paging.checkAck(caseId, 1, 1));
        await eventually(`breach ${n + 1} under way`, async () => (await waiting()) === n + 1);
      }
      // The fifth waits for a transaction to end; it is not even begun.
      results.push(paging.checkAck(caseIds[4], 1, 1));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await waiting()).toBe(4);
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    // Each breach is decided once, whether by these calls or by the worker's own timers.
    for (const result of await Promise.all(results))
      expect(['escalated', 'already_handled']).toContain(result);
    for (const caseId of caseIds)
      await eventually('tier 2 page', async () => (await pages(caseId)).some((p) => p.tier === 2));
    for (const caseId of caseIds)
      await http.post(`/api/cases/${caseId}/acknowledge`, undefined, { token: token.tier2 });
    for (const caseId of caseIds) {
      const tiers = (await pages(caseId)).map((p) => p.tier);
      expect(tiers.filter((t) => t === 1)).toHaveLength(1);
      expect(tiers.filter((t) => t === 2)).toHaveLength(1);
    }
  });

  /** Runs an emergency to its tier-1 page with the given workers, then kills the first one. */
  async function killAfterFirstPage(
    workers: Array<ReturnType<typeof spawnApp>>,
  ): Promise<{ caseId: string; due: Date }> {
    const response = await http.post('/api/contacts', emergencyBody(), { token: token.volunteer });
    const caseId = await emergencyOf(response.body.id);
    await eventually('tier 1 page', async () => (await pages(caseId)).length === 1, 5_000, 10);
    const [{ due_at: due }] = await env.db.query(
      `SELECT due_at FROM emergency_pages WHERE case_id = $1 AND tier = 1`,
      [caseId],
    );
    workers[0].kill('SIGKILL');
    await exited(workers[0]);
    return { caseId, due: new Date(due) };
  }

  const tier2PagedAt = async (caseId: string): Promise<number> => {
    await eventually(
      'the tier 2 page',
      async () => (await pages(caseId)).some((p) => p.tier === 2),
      15_000,
      10,
    );
    const [{ paged_at }] = await env.db.query(
      `SELECT paged_at FROM emergency_pages WHERE case_id = $1 AND tier = 2`,
      [caseId],
    );
    return new Date(paged_at).getTime();
  };

  it('a worker killed (SIGKILL) between the page and the deadline: another worker escalates on time, exactly once', async () => {
    await worker!.close();
    worker = undefined;
    const loud = { ...env.env, LOG_LEVEL: 'info' };
    const workers = [spawnApp('worker', [], loud), spawnApp('worker', [], loud)];
    try {
      await eventually(
        'both workers up',
        async () => workers.every((w) => w.output().includes('worker running')),
        20_000,
      );
      const { caseId, due } = await killAfterFirstPage(workers);
      // The SLA timer lives in Redis, not in the dead process: the survivor fires it on time.
      expect((await tier2PagedAt(caseId)) - due.getTime()).toBeLessThan(500);
      await http.post(`/api/cases/${caseId}/acknowledge`, undefined, { token: token.tier2 });
      await new Promise((r) => setTimeout(r, 300));
      expect((await pages(caseId)).map((p) => p.tier)).toEqual([1, 2]);
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map(exited));
      worker = await startWorker(env);
    }
  });

  it('a lone worker killed (SIGKILL) before the deadline escalates as soon as it is back, exactly once', async () => {
    await worker!.close();
    worker = undefined;
    const loud = { ...env.env, LOG_LEVEL: 'info' };
    const first = spawnApp('worker', [], loud);
    let restarted: ReturnType<typeof spawnApp> | undefined;
    try {
      await eventually(
        'the worker up',
        async () => first.output().includes('worker running'),
        20_000,
      );
      const { caseId, due } = await killAfterFirstPage([first]);
      restarted = spawnApp('worker', [], loud);
      const ready = await eventually(
        'the restarted worker up',
        async () => restarted!.output().includes('worker running') && Date.now(),
        20_000,
        5,
      );
      // On time if it came back before the deadline; at once if it came back after it.
      expect((await tier2PagedAt(caseId)) - Math.max(due.getTime(), ready)).toBeLessThan(1_000);
      await http.post(`/api/cases/${caseId}/acknowledge`, undefined, { token: token.tier2 });
      await new Promise((r) => setTimeout(r, 300));
      expect((await pages(caseId)).map((p) => p.tier)).toEqual([1, 2]);
    } finally {
      restarted?.kill('SIGTERM');
      if (restarted) await exited(restarted);
      worker = await startWorker(env);
    }
  });
});

describe('webhooks', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{
    status: number;
    headers: IncomingMessage['headers'];
    body: string;
    path: string;
  }> = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    env = await createTestEnvironment({
      EMERGENCY_ACK_TIMEOUT_SECONDS: '60',
      PUBLIC_URL: 'https://mayak.example.org',
    });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        // Only the flaky receiver fails (its first attempts); every other path accepts at once.
        const fail = req.url === '/hook/flaky' && failuresLeft > 0;
        const status = fail ? 503 : 200;
        if (fail) failuresLeft -= 1;
        received.push({ status, headers: req.headers, body, path: req.url ?? '' });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    receiver?.close();
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  /** The emergency case opened by a contact. */
  async function emergencyCaseOf(contactId: string): Promise<string> {
    const rows: Array<{ id: string }> = await env.db.query(
      `SELECT id FROM cases WHERE contact_id = $1 AND service = 'emergency'`,
      [contactId],
    );
    return rows[0].id;
  }

  /** Each responder's webhook has a path of its own, so deliveries can be told apart. */
  async function responderWithWebhook(secret: string, path: string): Promise<TestUser> {
    const coordinator = await createUser(api.app, ['coordinator']);
    const responder = await createUser(api.app, ['responder']);
    const rt = await signIn(http, responder);
    expect(
      (
        await http.put(
          '/api/staff/me/webhook',
          { url: `${receiverUrl}/${path}`, secret },
          { token: rt },
        )
      ).status,
    ).toBe(200);
    await onCallAtTier1(responder, coordinator);
    return responder;
  }

  /** Puts a responder on a tier-1 shift from a minute ago to an hour from now. */
  async function onCallAtTier1(responder: TestUser, coordinator: TestUser): Promise<void> {
    const now = Date.now();
    await http.post(
      '/api/rota/shifts',
      {
        userId: responder.id,
        tier: 1,
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      },
      { token: await signIn(http, coordinator) },
    );
  }

  it('the receiver gets a correctly signed body with no personal data', async () => {
    const secret = 'a-long-shared-secret-0001';
    await responderWithWebhook(secret, 'first');
    const volunteer = await createUser(api.app, ['volunteer']);
    const response = await http.post(
      '/api/contacts',
      emergencyBody({ caller: { pseudonym: 'Olga', identifier: '+79001112233' } }),
      {
        token: await signIn(http, volunteer),
      },
    );
    const caseId = await emergencyCaseOf(response.body.id);
    const delivery = await eventually(
      'the webhook',
      async () => received.find((r) => r.body.includes(caseId)),
      5_000,
      10,
    );
    const signature = createHmac('sha256', secret)
      .update(`${delivery.headers['x-mayak-timestamp'] as string}.${delivery.body}`)
      .digest('hex');
    expect(delivery.headers['x-mayak-signature']).toBe(`v1=${signature}`);
    const body = JSON.parse(delivery.body);
    expect(body).toEqual({
      id: expect.any(String),
      type: 'emergency_page',
      caseId,
      link: `https://mayak.example.org/cases/${caseId}`,
      createdAt: expect.any(String),
    });
    expect(delivery.body).not.toMatch(/Olga|79001112233|kill|friend/);
  });

  it('a receiver that fails twice and then succeeds gets exactly one delivery that it accepts', async () => {
    received.length = 0;
    failuresLeft = 2;
    await responderWithWebhook('another-shared-secret-02', 'flaky');
    const volunteer = await createUser(api.app, ['volunteer']);
    const response = await http.post('/api/contacts', emergencyBody(), {
      token: await signIn(http, volunteer),
    });
    const caseId = await emergencyCaseOf(response.body.id);
    // Only the flaky receiver's deliveries (the first test's responder is on call too).
    const flaky = () => received.filter((r) => r.path === '/hook/flaky' && r.body.includes(caseId));
    await eventually(
      'an accepted delivery',
      async () => flaky().some((r) => r.status === 200),
      15_000,
      20,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const forCase = flaky();
    expect(forCase.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(forCase.map((r) => r.headers['x-mayak-delivery'])).size).toBe(1);
  });

  it('a page writes a webhook delivery for each person paged who has a webhook, and for nobody else', async () => {
    // Two responders with webhooks are on call from the tests above; this one has none.
    const plain = await createUser(api.app, ['responder']);
    await onCallAtTier1(plain, await createUser(api.app, ['coordinator']));
    // Every delivery job the worker takes, still delivered as before.
    const deliver = jest.spyOn(worker.get(WebhooksService), 'deliver');
    const delivered = () => deliver.mock.calls.map(([id]) => id);
    try {
      const response = await http.post('/api/contacts', emergencyBody(), {
        token: await signIn(http, await createUser(api.app, ['volunteer'])),
      });
      const caseId = await emergencyCaseOf(response.body.id);
      const notified = await eventually(
        'the page',
        async () => {
          const rows: Array<{ id: string; user_id: string; has_webhook: boolean }> =
            await env.db.query(
              `SELECT n.id, n.user_id,
                      EXISTS (SELECT 1 FROM staff_webhooks w WHERE w.user_id = n.user_id) AS has_webhook
                 FROM notifications n WHERE n.case_id = $1 AND n.type = 'emergency_page'`,
              [caseId],
            );
          return rows.length >= 3 ? rows : undefined;
        },
        5_000,
        20,
      );
      expect(notified.map((n) => n.user_id)).toContain(plain.id);
      const withWebhook = notified.filter((n) => n.has_webhook).map((n) => n.id);
      expect(withWebhook).toHaveLength(notified.length - 1);
      await eventually(
        'the deliveries',
        async () => withWebhook.every((id) => delivered().includes(id)) || undefined,
        5_000,
        20,
      );
      // The relay sends a job as soon as it commits: a second, unwanted one would be taken
      // beside the others.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(
        delivered()
          .filter((id) => notified.some((n) => n.id === id))
          .sort(),
      ).toEqual([...withWebhook].sort());
    } finally {
      deliver.mockRestore();
    }
  });

  it('refuses a webhook that could reach inside: plain http, this machine, private and metadata addresses', async () => {
    // The environment allows 127.0.0.1 (the test receiver), and nothing else.
    const token = await signIn(http, await createUser(api.app, ['responder']));
    const refused = [
      'http://example.org/hook',
      // Both were accepted: "127.0.0.1.nip.io" began with "127.", and https was all it took.
      'http://127.0.0.1.nip.io:6379/',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.5/hook',
      'https://192.168.1.1/hook',
      'https://[::1]/hook',
      'https://[fd00:ec2::254]/',
      'https://[::ffff:169.254.169.254]/',
      'https://0.0.0.0/',
      'https://nowhere.invalid/hook',
    ];
    const answers: Array<[string, number, string]> = [];
    for (const url of refused) {
      const response = await http.put(
        '/api/staff/me/webhook',
        { url, secret: 'x'.repeat(20) },
        { token },
      );
      answers.push([url, response.status, response.body.error]);
      // The message says why, and quotes no part of what was sent.
      expect(JSON.stringify(response.body)).not.toContain(new URL(url).hostname);
    }
    expect(answers).toEqual(refused.map((url) => [url, 400, 'bad_webhook_url']));
    // Nothing was stored for this responder.
    expect((await http.get('/api/staff/me/webhook', { token })).status).toBe(404);
  });
});

describe('break-glass', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;

  beforeAll(async () => {
    env = await createTestEnvironment({ EMERGENCY_ACK_TIMEOUT_SECONDS: '60' });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  /**
   * A responder on tier 1 and a lawyer working a legal case whose caller consented to legal
   * help only (`summary` is the contact's).
   */
  async function legalCaseWithResponderOnCall(summary: string) {
    const coordinator = await createUser(api.app, ['coordinator']);
    const responder = await createUser(api.app, ['responder']);
    const lawyer = await createUser(api.app, ['lawyer']);
    const volunteer = await createUser(api.app, ['volunteer']);
    const ct = await signIn(http, coordinator);
    const rt = await signIn(http, responder);
    const lt = await signIn(http, lawyer);
    const now = Date.now();
    await http.post(
      '/api/rota/shifts',
      {
        userId: responder.id,
        tier: 1,
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 7_200_000).toISOString(),
      },
      { token: ct },
    );
    const receipt = await http.post('/api/contacts', contactBody({ summary }), {
      token: await signIn(http, volunteer),
    });
    const legal = receipt.body.caseIds[0] as string;
    expect((await http.post(`/api/cases/${legal}/claim`, undefined, { token: lt })).status).toBe(
      200,
    );
    return { coordinator, responder, rt, lt, legal };
  }

  /** The lawyer escalates the case; returns the emergency once its page reached the responder. */
  async function escalate(legal: string, lt: string, rt: string, reason: string) {
    const escalated = await http.post(`/api/cases/${legal}/escalate`, { reason }, { token: lt });
    expect(escalated.status).toBe(200);
    const emergency = escalated.body.emergencyCaseId as string;
    await eventually('the page', async () =>
      (await http.get('/api/emergencies', { token: rt })).body.some(
        (e: { id: string }) => e.id === emergency,
      ),
    );
    return emergency;
  }

  it('is refused without a reason, lasts an hour, notifies coordinators, and is audited as break-glass', async () => {
    // A legal case; the lawyer escalates it: the caller never consented to emergency help.
    const { coordinator, responder, rt, lt, legal } = await legalCaseWithResponderOnCall(
      'Threatened with a knife at the door',
    );
    expect(
      (await http.post(`/api/cases/${legal}/escalate`, { reason: 'short' }, { token: lt })).status,
    ).toBe(400);
    const emergency = await escalate(legal, lt, rt, 'Caller says the attacker is outside now.');

    // Paged, but without consent: metadata only.
    const before = await http.get(`/api/cases/${emergency}`, { token: rt });
    expect(before.status).toBe(200);
    expect(before.body).not.toHaveProperty('contact');
    expect(before.body).not.toHaveProperty('notes');

    const noReason = await http.post(`/api/cases/${emergency}/break-glass`, {}, { token: rt });
    expect(noReason.status).toBe(400);
    expect(noReason.body.fields).toHaveProperty('reason');

    const clock = api.app.get(Clock);
    const granted = await http.post(
      `/api/cases/${emergency}/break-glass`,
      { reason: 'Caller could not consent; life at risk.' },
      { token: rt },
    );
    expect(granted.status).toBe(200);
    expect(new Date(granted.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(59 * 60_000);

    const during = await http.get(`/api/cases/${emergency}`, { token: rt });
    expect(during.body.contact.summary).toBe('Threatened with a knife at the door');
    expect(during.body.notes[0].text).toBe('Caller says the attacker is outside now.');

    const audit = await env.db.query(
      `SELECT action, outcome, break_glass FROM audit_entries WHERE record_type = 'case' AND record_id = $1 AND actor_id = $2 ORDER BY seq`,
      [api.app.get(AuditReferences).of('case', emergency), responder.id],
    );
    expect(audit).toEqual(
      expect.arrayContaining([
        { action: 'case:break-glass', outcome: 'allow', break_glass: true },
        { action: 'case:read', outcome: 'allow', break_glass: true },
      ]),
    );
    const notified = await env.db.query(
      `SELECT user_id FROM notifications WHERE type = 'break_glass' AND case_id = $1`,
      [emergency],
    );
    expect(notified.map((n: { user_id: string }) => n.user_id)).toContain(coordinator.id);

    // An hour and a minute later (the Clock, not the wall): back to metadata only.
    jest.spyOn(clock, 'now').mockReturnValue(new Date(Date.now() + 61 * 60_000));
    const after = await http.get(`/api/cases/${emergency}`, { token: rt });
    expect(after.status).toBe(200);
    expect(after.body).not.toHaveProperty('contact');
    expect(after.body).not.toHaveProperty('notes');
    const lastRead = await env.db.query(
      `SELECT break_glass FROM audit_entries WHERE record_type = 'case' AND record_id = $1 AND actor_id = $2 AND action = 'case:read' ORDER BY seq DESC LIMIT 1`,
      [api.app.get(AuditReferences).of('case', emergency), responder.id],
    );
    expect(lastRead[0].break_glass).toBe(false);
  });

  /**
   * Issue 13.3: a case hidden for lack of consent must say so and point to break-glass, never
   * that the caller withdrew consent and the data was destroyed when nothing was withdrawn.
   */
  it('an acknowledged emergency without emergency consent says its content is withheld, not destroyed', async () => {
    const { responder, rt, lt, legal } = await legalCaseWithResponderOnCall(
      'Followed home from the station',
    );
    const emergency = await escalate(
      legal,
      lt,
      rt,
      'Caller says they are being followed right now.',
    );
    expect(
      (await http.post(`/api/cases/${emergency}/acknowledge`, undefined, { token: rt })).status,
    ).toBe(200);

    const read = await http.get(`/api/cases/${emergency}`, { token: rt });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ assigneeId: responder.id, withheld: 'no_consent' });
    expect(read.body).not.toHaveProperty('erased');
    expect(read.body).not.toHaveProperty('notes');
    expect(read.body).not.toHaveProperty('contact');

    // Nothing was destroyed: break-glass opens the note the lawyer wrote.
    await http.post(
      `/api/cases/${emergency}/break-glass`,
      { reason: 'Caller cannot speak; we need the address.' },
      { token: rt },
    );
    const opened = await http.get(`/api/cases/${emergency}`, { token: rt });
    expect(opened.body.notes[0].text).toBe('Caller says they are being followed right now.');
    expect(opened.body.contact.summary).toBe('Followed home from the station');
  });
});
