import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  RunningApi,
  SentinelSet,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

jest.setTimeout(120_000);

/**
 * Redis high availability through Sentinel (issue 14, point 5), with real processes: a
 * primary, a replica and three Sentinels. The API and the worker are given only the Sentinels
 * (REDIS_SENTINELS); the primary is killed; the Sentinels promote the replica; intakes saved
 * before, during and after the failover are all routed, each once.
 */
describe('Redis through Sentinel: the primary dies, nothing is lost', () => {
  let dir: string;
  let sentinels: SentinelSet;
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let volunteerToken: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mayak-sentinel-'));
    sentinels = await SentinelSet.start(dir);
    env = await createTestEnvironment({
      ...sentinels.env,
      // Only the database number and credentials are read from it in Sentinel mode; its
      // host is the dead primary's, and must not matter.
      REDIS_URL: `redis://127.0.0.1:${sentinels.primaryPort}/0`,
    });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    const volunteer = await createUser(api.app, ['volunteer']);
    volunteerToken = await signIn(http, volunteer);
    // One lawyer per case routed at once: concurrent routings skip a colleague another
    // routing holds (SKIP LOCKED), and a case nobody was free for waits in the pool.
    for (let i = 0; i < 4; i++) {
      const lawyer = await createUser(api.app, ['lawyer']);
      const shift = await http.put(
        '/api/staff/me/availability',
        { onShift: true, capacity: 100, regions: [] },
        { token: await signIn(http, lawyer) },
      );
      expect(shift.status).toBe(200);
    }
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
    await sentinels?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const intake = async (summary: string): Promise<string> => {
    const answer = await http.post('/api/contacts', contactBody({ summary }), {
      token: volunteerToken,
    });
    expect(answer.status).toBe(201);
    return answer.body.caseIds[0] as string;
  };
  const routed = (caseIds: string[], timeoutMs: number) =>
    eventually(
      'every case to be routed',
      async () => {
        const rows: Array<{ status: string }> = await env.db.query(
          `SELECT status FROM cases WHERE id = ANY($1)`,
          [caseIds],
        );
        return rows.length === caseIds.length && rows.every((r) => r.status === 'assigned');
      },
      timeoutMs,
      100,
    );

  it('routes through the primary, follows the failover to the replica, and loses nothing', async () => {
    expect(await sentinels.primaryPortNow()).toBe(sentinels.primaryPort);
    const before = await intake('before the failover');
    await routed([before], 20_000);

    const killedAt = Date.now();
    sentinels.killPrimary();
    // Saved while Redis has no primary: PostgreSQL takes them, the outbox keeps the jobs.
    const during = [await intake('during the failover 1'), await intake('during the failover 2')];
    await sentinels.promoted(killedAt);
    const promotedAt = Date.now();
    const after = await intake('after the failover');
    await routed([...during, after], 45_000);
    const recoveredAt = Date.now();
    console.log(
      `Sentinel failover: replica promoted ${((promotedAt - killedAt) / 1000).toFixed(1)} s after the primary died; ` +
        `every case routed ${((recoveredAt - killedAt) / 1000).toFixed(1)} s after it`,
    );

    // Each routing job ran once: one assignment event per case.
    const events: Array<{ case_id: string; n: number }> = await env.db.query(
      `SELECT case_id, count(*)::int AS n FROM case_events
        WHERE case_id = ANY($1) AND type = 'assigned' GROUP BY case_id`,
      [[before, ...during, after]],
    );
    expect(events.map((e) => e.n)).toEqual([1, 1, 1, 1]);
    // And the API's health follows the new primary.
    const health = await http.get('/api/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
  });
});
