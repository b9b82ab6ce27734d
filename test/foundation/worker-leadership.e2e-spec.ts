import { INestApplicationContext } from '@nestjs/common';
import {
  job,
  Leadership,
  LookClient,
  lookAtQueue,
  OutboxWriter,
  producerConnection,
  redisTarget,
  WorkerLeadership,
} from '@mayak/platform';
import {
  createTestEnvironment,
  eventually,
  recordFinishedJobs,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { RoutingProcessor } from '../../apps/worker/src/processors/routing.processor';
import { CasesWorker } from '../../apps/worker/src/workers';

/**
 * Any number of workers, on one host or several: one leads the background rounds (the relay's
 * fast poll, the chainer), and when it dies another takes over within moments.
 */
describe('the workers’ leadership', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment();
    // A finished job deletes its row: the test keeps each to count how often it was sent and run.
    await recordFinishedJobs((sql, params) => env.db.query(sql, params));
  });
  afterAll(async () => {
    await env?.dispose();
  });

  /** The backends holding the lock named `name` in this environment's database. */
  const holders = async (name: string): Promise<number[]> =>
    (
      await env.db.query<Array<{ pid: number }>>(
        `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
          WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()
            AND l.objid = (hashtext($1)::bigint & 4294967295)::oid`,
        [name],
      )
    ).map((r) => r.pid);

  it('one of several leads; a leader whose connection dies is replaced within moments', async () => {
    const name = 'mayak.test-leadership';
    const url = env.config.DATABASE_URL!;
    const changes: string[] = [];
    const all = ['a', 'b', 'c'].map(
      (id) =>
        [id, new Leadership(url, name, (leading) => changes.push(`${id}:${leading}`))] as const,
    );
    try {
      for (const [, l] of all) l.start();
      const leaderOf = () => all.filter(([, l]) => l.isLeader).map(([id]) => id);
      const [first] = await eventually('one to lead', async () => {
        const leaders = leaderOf();
        return leaders.length === 1 && leaders;
      });
      // The others keep asking, and never lead beside it.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(leaderOf()).toEqual([first]);
      const [pid] = await holders(name);
      expect(pid).toEqual(expect.any(Number));

      // The leader's process dies, or its connection is cut: PostgreSQL frees the lock.
      await env.db.query(`SELECT pg_terminate_backend($1)`, [pid]);
      const [second] = await eventually(
        'another to lead',
        async () => {
          const leaders = leaderOf();
          return leaders.length === 1 && leaders[0] !== first && leaders;
        },
        5_000,
      );
      expect(changes).toContain(`${first}:false`);
      // The old leader reconnects as one of the others.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(leaderOf()).toEqual([second]);

      // A leader that stops hands over too.
      await all.find(([id]) => id === second)![1].stop();
      await eventually('a third to lead', async () => {
        const leaders = leaderOf();
        return leaders.length === 1 && leaders[0] !== second;
      });
      expect(await holders(name)).toHaveLength(1);
    } finally {
      await Promise.all(all.map(([, l]) => l.stop()));
    }
    expect(await holders(name)).toEqual([]);
  });

  const allDone = async () =>
    (
      await env.db.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM outbox WHERE status <> 'done'`,
      )
    )[0].n === 0;

  it('two workers relay every job once, and the one left leads when the leader stops', async () => {
    const workers: INestApplicationContext[] = [await startWorker(env), await startWorker(env)];
    const stopped = new Set<INestApplicationContext>();
    try {
      const leading = () =>
        workers.filter((w) => !stopped.has(w) && w.get(WorkerLeadership).isLeader);
      const [leader] = await eventually('a worker to lead', async () => {
        const l = leading();
        return l.length === 1 && l;
      });
      const other = workers.find((w) => w !== leader)!;

      const enqueue = (from: INestApplicationContext, n: number) =>
        from.get(DataSource).transaction(async (em) => {
          await from.get(OutboxWriter).add(
            em,
            Array.from({ length: n }, () => job('maintenance', 'volunteer-link-expiry', {})),
          );
        });
      await enqueue(other, 40);
      await eventually('every job to be done', allDone, 10_000);

      await leader.close();
      stopped.add(leader);
      await eventually('the other worker to lead', async () => leading()[0] === other, 5_000);
      await enqueue(other, 40);
      await eventually('every later job to be done', allDone, 10_000);
      // Once each: a row is sent once, and BullMQ ran each job once (each row deleted once).
      expect(await env.db.query(`SELECT 1 FROM outbox`)).toEqual([]);
      const rows = await env.db.query<Array<{ sends: number }>>(
        `SELECT sends FROM outbox_finished`,
      );
      expect(rows).toHaveLength(80);
      expect(rows.every((r) => r.sends === 1)).toBe(true);
    } finally {
      for (const w of workers) if (!stopped.has(w)) await w.close();
    }
  });

  it('only the leader takes case jobs while it keeps up; the other joins when it falls behind, and stands by again', async () => {
    const workers = [await startWorker(env), await startWorker(env)];
    try {
      const [leader] = await eventually('a worker to lead', async () => {
        const l = workers.filter((w) => w.get(WorkerLeadership).isLeader);
        return l.length === 1 && l;
      });
      const other = workers.find((w) => w !== leader)!;
      // Which worker routed what: each has its own processor; count the jobs each ran.
      const routed = new Map<INestApplicationContext, number>();
      for (const w of workers) {
        const handlers = w.get(RoutingProcessor).handlers;
        const route = handlers['route-case'];
        (handlers as { 'route-case': typeof route })['route-case'] = async (...args) => {
          routed.set(w, (routed.get(w) ?? 0) + 1);
          return route(...args);
        };
      }
      // A case that does not exist is routed as nothing: the job still runs and is done.
      const enqueue = (n: number) =>
        other.get(DataSource).transaction(async (em) => {
          await other.get(OutboxWriter).add(
            em,
            Array.from({ length: n }, () => job('routing', 'route-case', { caseId: randomUUID() })),
          );
        });
      const casesWorker = (w: INestApplicationContext) => w.get(CasesWorker).worker;

      // The leader keeps up: the other stands by (its BullMQ worker paused) and runs nothing.
      await eventually('the other to stand by', async () => casesWorker(other).isPaused());
      expect(casesWorker(leader).isPaused()).toBe(false);
      await enqueue(60);
      await eventually('every job to be done', allDone, 10_000);
      expect(routed.get(leader)).toBe(60);
      expect(routed.get(other) ?? 0).toBe(0);

      // The leader takes nothing more (hung, with its lock's connection still open): the other
      // sees the same job next in line for BEHIND_MS and joins.
      await casesWorker(leader).pause(true);
      const hungAt = Date.now();
      await enqueue(60);
      await eventually('the jobs to be done by the other', allDone, 10_000);
      expect(Date.now() - hungAt).toBeGreaterThanOrEqual(1_000);
      // Paused, BullMQ's fetch already waiting still takes the next job: one at most.
      const leaderRan = routed.get(leader)!;
      expect(leaderRan).toBeLessThanOrEqual(61);
      expect(routed.get(other)).toBe(120 - leaderRan);
      expect(casesWorker(other).isPaused()).toBe(false);
      expect(leader.get(WorkerLeadership).isLeader).toBe(true);

      // The leader is back and the queue empty: the other stands by again.
      await casesWorker(leader).resume();
      await eventually(
        'the other to stand by again',
        async () => casesWorker(other).isPaused(),
        6_000,
      );
      await enqueue(30);
      await eventually('the last jobs to be done', allDone, 10_000);
      // Paused, BullMQ's fetch already waiting still takes the next job: one at most.
      const otherRan = routed.get(other)! - (120 - leaderRan);
      expect(otherRan).toBeLessThanOrEqual(1);
      expect(routed.get(leader)).toBe(leaderRan + 30 - otherRan);
    } finally {
      for (const w of workers) await w.close();
    }
  });

  it('reads what is next in line, and when the earliest timer fell due, where BullMQ keeps them', async () => {
    // Standby reads BullMQ's keys directly; this pins how BullMQ lays them out.
    const queue = new Queue('standby-look', {
      connection: producerConnection(redisTarget(env.config)),
      prefix: env.config.QUEUE_PREFIX,
    });
    try {
      const backend = queue.getBackend() as unknown as { client: Promise<LookClient> };
      const client = await backend.client;
      const look = () =>
        lookAtQueue(client, {
          wait: queue.keys.wait,
          prioritized: queue.keys.prioritized,
          delayed: queue.keys.delayed,
        });
      expect(await look()).toEqual({
        waitingHead: null,
        prioritizedHead: null,
        ready: 0,
        earliestDue: null,
      });
      await queue.add('first', {}, { jobId: 'first' });
      await queue.add('second', {}, { jobId: 'second' });
      await queue.add('urgent-2', {}, { jobId: 'urgent-2', priority: 2 });
      await queue.add('urgent-1', {}, { jobId: 'urgent-1', priority: 1 });
      const before = Date.now();
      await queue.add('later', {}, { jobId: 'later', delay: 60_000 });
      await queue.add('sooner', {}, { jobId: 'sooner', delay: 30_000 });
      const after = Date.now();
      const seen = await look();
      // The oldest waiting job goes first, the lowest priority number first.
      expect(seen).toMatchObject({ waitingHead: 'first', prioritizedHead: 'urgent-1', ready: 4 });
      expect(seen.earliestDue).toBeGreaterThanOrEqual(before + 30_000);
      expect(seen.earliestDue).toBeLessThanOrEqual(after + 30_000);
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  });
});
