import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import {
  createTestEnvironment,
  createUser,
  eventually,
  exited,
  listeningApi,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
} from '@mayak/testing';

jest.setTimeout(120_000);

/** The API processes the cluster runs: the children of its first process. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * A request on a connection of its own: the cluster hands each new connection to the next
 * API process, so a run of these reaches every process (a kept-alive one would stay on one).
 */
function fresh(port: number, method: string, path: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: { connection: 'close', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * API_PROCESSES (issue 14, point 5): `npm start` and the compiled API run N API processes on
 * one port. A session is good on all of them, and ended on one it is ended on all within 1 s;
 * one process killed, the others answer and a new one takes its place; SIGTERM stops them all.
 */
describe('several API processes on one port', () => {
  let env: TestEnvironment;
  let helper: RunningApi;
  let cluster: Awaited<ReturnType<typeof listeningApi>>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    helper = await startApi(env);
    cluster = await listeningApi({ env: { ...env.env, API_PROCESSES: '2' } });
    await eventually('two API processes', async () => childrenOf(cluster.api.pid!).length === 2);
  });

  afterAll(async () => {
    if (cluster && cluster.api.exitCode === null) cluster.api.kill('SIGKILL');
    for (const pid of cluster ? childrenOf(cluster.api.pid!) : []) process.kill(pid, 'SIGKILL');
    await helper?.close();
    await env?.dispose();
  });

  it('serves one session from every process, and ends it on all within a second', async () => {
    const volunteer = await createUser(helper.app, ['volunteer']);
    const token = await signIn(cluster.http, volunteer);
    const seen = await Promise.all(
      Array.from({ length: 20 }, () => fresh(cluster.port, 'GET', '/api/auth/me', token)),
    );
    expect(seen).toEqual(Array(20).fill(200));

    expect(await fresh(cluster.port, 'POST', '/api/auth/logout', token)).toBe(204);
    const endedAt = Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, endedAt + 1_000 - Date.now())));
    const after = await Promise.all(
      Array.from({ length: 20 }, () => fresh(cluster.port, 'GET', '/api/auth/me', token)),
    );
    expect(after).toEqual(Array(20).fill(401));
  });

  it('keeps answering when one process dies, starts another, and stops cleanly on SIGTERM', async () => {
    const [victim] = childrenOf(cluster.api.pid!);
    process.kill(victim, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const during = await Promise.all(
      Array.from({ length: 10 }, () => fresh(cluster.port, 'GET', '/api/health')),
    );
    expect(during).toEqual(Array(10).fill(200));
    await eventually(
      'a new API process',
      async () => {
        const now = childrenOf(cluster.api.pid!);
        return now.length === 2 && !now.includes(victim);
      },
      10_000,
      50,
    );
    await eventually(
      'the new process to answer',
      async () => {
        const all = await Promise.all(
          Array.from({ length: 6 }, () => fresh(cluster.port, 'GET', '/api/health')),
        );
        return all.every((s) => s === 200);
      },
      20_000,
      200,
    );

    const children = childrenOf(cluster.api.pid!);
    cluster.api.kill('SIGTERM');
    const exit = await exited(cluster.api);
    expect(exit).toEqual({ code: 0, signal: null });
    for (const pid of children) expect(() => process.kill(pid, 0)).toThrow();
  });
});
