import { INestApplicationContext } from '@nestjs/common';
import { job, Leadership, OutboxWriter, WorkerLeadership } from '@mayak/platform';
import {
  createTestEnvironment,
  eventually,
  recordFinishedJobs,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';
import { DataSource } from 'typeorm';

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
      const allDone = async () =>
        (
          await env.db.query<Array<{ n: number }>>(
            `SELECT count(*)::int AS n FROM outbox WHERE status <> 'done'`,
          )
        )[0].n === 0;
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
});
