import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';
import { findOnPath, freePort } from '@mayak/platform/embedded';
import {
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
} from '@mayak/testing';

jest.setTimeout(120_000);

/**
 * Redis high availability through Sentinel (issue 14, point 5), with real processes: a
 * primary, a replica and three Sentinels. The API and the worker are given only the Sentinels
 * (REDIS_SENTINELS); the primary is killed; the Sentinels promote the replica; intakes saved
 * before, during and after the failover are all routed, each once.
 */
describe('Redis through Sentinel: the primary dies, nothing is lost', () => {
  const children: ChildProcess[] = [];
  let dir: string;
  let primary: ChildProcess;
  let ports: { primary: number; replica: number; sentinels: number[] };
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let volunteerToken: string;

  const redisServer = findOnPath('redis-server');
  const run = (args: string[]): ChildProcess => {
    const child = spawn(redisServer!, args, { stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const ask = async <T>(port: number, ...command: string[]): Promise<T> => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.call(command[0], ...command.slice(1))) as T;
    } finally {
      client.disconnect();
    }
  };
  const primaryPort = async (): Promise<number> => {
    const [, port] = await ask<[string, string]>(
      ports.sentinels[0],
      'SENTINEL',
      'get-master-addr-by-name',
      'mayak',
    );
    return Number(port);
  };

  beforeAll(async () => {
    if (!redisServer) throw new Error('redis-server is not on PATH');
    dir = await mkdtemp(path.join(tmpdir(), 'mayak-sentinel-'));
    ports = {
      primary: await freePort(),
      replica: await freePort(),
      sentinels: [await freePort(), await freePort(), await freePort()],
    };
    const plain = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    primary = run(['--port', String(ports.primary), ...plain]);
    run([
      '--port',
      String(ports.replica),
      ...plain,
      '--replicaof',
      '127.0.0.1',
      String(ports.primary),
    ]);
    for (const port of ports.sentinels) {
      const conf = path.join(dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor mayak 127.0.0.1 ${ports.primary} 2`,
          'sentinel down-after-milliseconds mayak 1000',
          'sentinel failover-timeout mayak 10000',
          'sentinel parallel-syncs mayak 1',
          '',
        ].join('\n'),
      );
      run([conf, '--sentinel']);
    }
    // Every Sentinel sees the replica and the two others: a failover can then be agreed.
    await eventually(
      'the Sentinels to find the replica and each other',
      async () => {
        for (const port of ports.sentinels) {
          const replicas = await ask<unknown[]>(port, 'SENTINEL', 'replicas', 'mayak');
          const sentinels = await ask<unknown[]>(port, 'SENTINEL', 'sentinels', 'mayak');
          if (replicas.length !== 1 || sentinels.length !== 2) return false;
        }
        return true;
      },
      30_000,
      200,
    );

    env = await createTestEnvironment({
      REDIS_SENTINELS: ports.sentinels.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_SENTINEL_NAME: 'mayak',
      // Only the database number and credentials are read from it in Sentinel mode; its
      // host is the dead primary's, and must not matter.
      REDIS_URL: `redis://127.0.0.1:${ports.primary}/0`,
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
    for (const child of children) child.kill('SIGKILL');
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
    expect(await primaryPort()).toBe(ports.primary);
    const before = await intake('before the failover');
    await routed([before], 20_000);

    const killedAt = Date.now();
    primary.kill('SIGKILL');
    // Saved while Redis has no primary: PostgreSQL takes them, the outbox keeps the jobs.
    const during = [await intake('during the failover 1'), await intake('during the failover 2')];
    await eventually(
      'the Sentinels to promote the replica',
      async () => (await primaryPort()) === ports.replica,
      30_000,
      200,
    );
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
