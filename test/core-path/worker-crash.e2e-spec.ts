import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  exited,
  HttpClient,
  OutboxReader,
  RunningApi,
  signIn,
  spawnApp,
  startApi,
  TestEnvironment,
} from '@mayak/testing';
import { Client } from 'pg';

/** The worker dies (SIGKILL, no goodbye) in the middle of routing; nothing is lost or done twice. */
describe('a worker killed mid-routing', () => {
  let env: TestEnvironment;
  let api: RunningApi;

  beforeAll(async () => {
    env = await createTestEnvironment({ WORKER_CONCURRENCY: '4', OUTBOX_SWEEP_AFTER_SECONDS: '2' });
    api = await startApi(env);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('after a restart every case is assigned exactly once', async () => {
    const http = new HttpClient(api.url);
    const volunteer = await createUser(api.app, ['volunteer']);
    const token = await signIn(http, volunteer);
    const lawyers = await Promise.all([1, 2, 3, 4].map(() => createUser(api.app, ['lawyer'])));
    for (const lawyer of lawyers)
      await env.db.query(
        `INSERT INTO staff_availability (user_id, on_shift, capacity) VALUES ($1, true, 1000)`,
        [lawyer.id],
      );

    const total = 240;
    const receipts = await Promise.all(
      Array.from({ length: total }, () =>
        http
          .post('/api/contacts', contactBody(), { token })
          .then((r) => r.body.caseIds[0] as string),
      ),
    );
    expect(new Set(receipts).size).toBe(total);

    const assigned = async () =>
      (await env.db.query(`SELECT count(*)::int AS n FROM cases WHERE status = 'assigned'`))[0]
        .n as number;

    // One case stays locked, as by a colleague's open transaction, until the worker is killed:
    // the routing batch that holds it waits, mid-transaction, while the others go through.
    // So the kill lands in the middle of routing however fast the machine routes (polling for
    // a moment between batches missed it when all 240 were routed between two polls).
    const holder = new Client({ connectionString: env.superuserUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT id FROM cases WHERE id = $1 FOR UPDATE`, [receipts[total - 1]]);

    let worker = spawnApp('worker', [], env.env);
    try {
      await eventually('routing to be under way', async () => (await assigned()) > 0, 20_000, 20);
      worker.kill('SIGKILL');
      expect((await exited(worker)).signal).toBe('SIGKILL');
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const atKill = await assigned();
    expect(atKill).toBeLessThan(total);

    worker = spawnApp('worker', [], env.env);
    try {
      // Assigned, and each assignee told: the notification is the assignment's follow-up job,
      // which the worker must have run before it is stopped.
      await eventually(
        'every case to be assigned and its assignee notified',
        async () => {
          if ((await assigned()) !== total) return false;
          const [{ n }] = await env.db.query(`SELECT count(*)::int AS n FROM notifications`);
          return n >= total;
        },
        30_000,
        100,
      );
    } finally {
      worker.kill('SIGTERM');
      await exited(worker);
    }

    // Exactly once: one assignment event per case, loads that add up, one notification each.
    const events = await env.db.query(
      `SELECT c.id, count(e.id)::int AS n FROM cases c LEFT JOIN case_events e ON e.case_id = c.id AND e.type = 'assigned' GROUP BY c.id`,
    );
    expect(events.filter((e: { n: number }) => e.n !== 1)).toEqual([]);
    const loads = await env.db.query(
      `SELECT a.user_id, a.open_cases, (SELECT count(*)::int FROM cases c WHERE c.assignee_id = a.user_id AND c.status <> 'closed') AS actual
         FROM staff_availability a`,
    );
    for (const load of loads) expect(load.open_cases).toBe(load.actual);
    const notified = await env.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT case_id)::int AS d FROM notifications`,
    );
    expect(notified[0]).toEqual({ n: total, d: total });
    const pending = (await OutboxReader.of(env).rows(`status <> 'done'`)).filter(
      (j) => j.queue === 'routing',
    );
    expect(pending).toHaveLength(0);
  }, 90_000);
});
