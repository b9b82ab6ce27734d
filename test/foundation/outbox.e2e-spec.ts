import { INestApplicationContext } from '@nestjs/common';
import { job, OutboxRelay, OutboxSeal, OutboxWriter } from '@mayak/platform';
import { EmbeddedRedis } from '@mayak/platform/embedded';
import {
  createTestEnvironment,
  eventually,
  OutboxReader,
  recordFinishedJobs,
  startPrivateRedis,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';
import { rm } from 'node:fs/promises';
import { DataSource } from 'typeorm';

describe('the transactional outbox', () => {
  let env: TestEnvironment;
  let redis: EmbeddedRedis;
  let redisDir: string;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    // A Redis of this test's own, because the test stops and restarts it.
    ({ redis, dir: redisDir } = await startPrivateRedis());
    env = await createTestEnvironment({ REDIS_URL: redis.url(), OUTBOX_SWEEP_AFTER_SECONDS: '1' });
    // A finished job deletes its row: the test keeps each deleted row to see what became of it.
    await recordFinishedJobs((sql, params) => env.db.query(sql, params));
    worker = await startWorker(env);
  });
  afterAll(async () => {
    await worker?.close();
    await env?.dispose();
    await redis?.stop();
    await rm(redisDir, { recursive: true, force: true });
  });

  /** The row's status; 'done' once its job has finished and deleted it. */
  const status = async (id: string): Promise<string | undefined> =>
    (
      (await env.db.query(`SELECT status FROM outbox_history WHERE id = $1`, [id])) as Array<{
        status: string;
      }>
    )[0]?.status;

  async function enqueue(): Promise<string> {
    const db = worker.get(DataSource);
    return db.transaction(async (em) => {
      await worker.get(OutboxWriter).add(em, [job('maintenance', 'retention-sweep', {})]);
      // This transaction's own row (a max(id) would be a concurrent enqueue's once it commits).
      const [{ id }] = await em.query(
        `SELECT id::text AS id FROM outbox WHERE xmin = pg_current_xact_id()::xid`,
      );
      return id as string;
    });
  }

  it('the worker commits without waiting for the WAL flush; its work is redone from the outbox', async () => {
    // See DatabaseModuleOptions.deferredCommits: only the worker, whose every write can be redone.
    const setting = `SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'`;
    expect(await worker.get(DataSource).query(setting)).toEqual([
      { setting: 'off', source: 'client' },
    ]);
    // Everyone else keeps the server's setting (the test servers may relax it for speed).
    const [others] = await env.db.query(setting);
    expect(others.source).not.toBe('client');
  });

  it('a job written in a transaction that rolls back never exists', async () => {
    const db = worker.get(DataSource);
    const before = await env.db.query(`SELECT count(*)::int AS n FROM outbox`);
    await expect(
      db.transaction(async (em) => {
        await worker.get(OutboxWriter).add(em, [job('maintenance', 'retention-sweep', {})]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await env.db.query(`SELECT count(*)::int AS n FROM outbox`)).toEqual(before);
  });

  it('refuses to write outside a transaction', async () => {
    await expect(
      worker
        .get(OutboxWriter)
        .add(worker.get(DataSource).manager, [job('maintenance', 'retention-sweep', {})]),
    ).rejects.toThrow(/inside the transaction/);
  });

  it('a job with a key is written once, however many transactions write it', async () => {
    // Timers, pages and statistics windows rely on it: one rollup job per window, not per intake.
    const db = worker.get(DataSource);
    const key = `once-${Date.now()}`;
    const runAt = new Date(Date.now() + 60_000);
    for (let i = 0; i < 3; i += 1)
      await db.transaction((em) =>
        worker
          .get(OutboxWriter)
          .add(em, [
            job('maintenance', 'stats-rollup', {}, runAt, key),
            job('maintenance', 'stats-rollup', {}, runAt, key),
          ]),
      );
    // Under its pseudonym: the programmer's key (a case id in it, say) is not in the table.
    const stored = OutboxReader.of(env).jobKey(key);
    expect(stored).toMatch(/^j[0-9a-f]{32}$/);
    expect(await env.db.query(`SELECT job_key FROM outbox WHERE job_key = $1`, [stored])).toEqual([
      { job_key: stored },
    ]);
    expect(await env.db.query(`SELECT 1 FROM outbox WHERE job_key = $1`, [key])).toEqual([]);
  });

  it('is relayed and processed within moments of the commit', async () => {
    const id = await enqueue();
    await eventually('the job to be done', async () => (await status(id)) === 'done', 5_000);
  });

  it('a finished job leaves no row: its one delete is the done-mark, and nothing stays done', async () => {
    // Marking a row done was a third, non-HOT version of it (new entries in the primary key and
    // the job-key index); the row is deleted instead, once, after the job ran (issue 14).
    const ids = await Promise.all([enqueue(), enqueue(), enqueue()]);
    await eventually(
      'the jobs to be done',
      async () => (await Promise.all(ids.map(status))).every((s) => s === 'done'),
      5_000,
    );
    expect(await env.db.query(`SELECT id FROM outbox WHERE id = ANY($1::bigint[])`, [ids])).toEqual(
      [],
    );
    expect(await env.db.query(`SELECT id FROM outbox WHERE status = 'done'`)).toEqual([]);
    // Sent once and deleted once each: the trigger saw one delete per row, of a sent row.
    expect(
      await env.db.query(
        `SELECT id::text AS id, status, sends FROM outbox_finished WHERE id = ANY($1::bigint[]) ORDER BY id`,
        [ids],
      ),
    ).toEqual([...ids].sort().map((id) => ({ id, status: 'sent', sends: 1 })));
  });

  it('a row that does not open (moved from another job) is settled as failed and stops nothing', async () => {
    const seal = worker.get(OutboxSeal);
    const a = seal.seal(job('maintenance', 'retention-sweep', {}));
    const b = seal.seal(job('maintenance', 'retention-sweep', {}));
    const [{ id }] = await env.db.query(
      `INSERT INTO outbox (queue, sealed, job_key) VALUES ($1, $2, $3) RETURNING id::text AS id`,
      [a.physicalQueue, a.sealed, b.jobKey],
    );
    const next = await enqueue();
    await eventually('the next job to be done', async () => (await status(next)) === 'done', 5_000);
    expect(await status(id)).toBe('failed');
    expect(await env.db.query(`SELECT last_error FROM outbox WHERE id = $1`, [id])).toEqual([
      { last_error: 'DecryptionError' },
    ]);
  });

  it('a row written while Redis is stopped waits in PostgreSQL and is delivered after Redis comes back', async () => {
    await redis.stop();
    const id = await enqueue();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await status(id)).toBe('pending');
    await redis.start();
    await eventually(
      'the job to be done after Redis returned',
      async () => (await status(id)) === 'done',
      20_000,
      100,
    );
  });

  it('a sent job that Redis lost (FLUSHALL) is sent again by the sweeper', async () => {
    // As if relayed a while ago into a Redis that has since lost everything.
    const sealed = worker.get(OutboxSeal).seal(job('maintenance', 'retention-sweep', {}));
    const [{ id }] = await env.db.query(
      `INSERT INTO outbox (queue, sealed, job_key, status, sent_at, sends) VALUES ($1, $2, $3, 'sent', now() - interval '5 seconds', 1) RETURNING id::text AS id`,
      [sealed.physicalQueue, sealed.sealed, sealed.jobKey],
    );
    await eventually(
      'the sweeper to re-send the lost job',
      async () => (await status(id)) === 'done',
      15_000,
      100,
    );
    const [{ sends }] = await env.db.query(`SELECT sends FROM outbox_history WHERE id = $1`, [id]);
    expect(sends).toBeGreaterThanOrEqual(2);
  });

  it('the sweeper walks more than a batch of sent rows in their order, and finds the lost one among them', async () => {
    // 600 timers sent and due in an hour (the sweeper leaves them be), their ids one digit
    // longer than a lost job's: in the order of the ids as text the lost one comes after all
    // of them, and a walk in batches of 500 by that order would pass it by on every round.
    const seal = worker.get(OutboxSeal);
    const inAnHour = new Date(Date.now() + 3_600_000);
    const timers = Array.from({ length: 600 }, () =>
      seal.seal(job('maintenance', 'retention-sweep', {}, inAnHour)),
    );
    await env.db.query(
      `INSERT INTO outbox (id, queue, sealed, job_key, status, sent_at, sends) OVERRIDING SYSTEM VALUE
       SELECT 100000000 + i, t.queue, t.sealed, t.job_key, 'sent', now(), 1
         FROM unnest($1::text[], $2::bytea[], $3::text[]) WITH ORDINALITY AS t (queue, sealed, job_key, i)`,
      [
        timers.map((t) => t.physicalQueue),
        timers.map((t) => t.sealed),
        timers.map((t) => t.jobKey),
      ],
    );
    const lost = seal.seal(job('maintenance', 'retention-sweep', {}));
    await env.db.query(
      `INSERT INTO outbox (id, queue, sealed, job_key, status, sent_at, sends) OVERRIDING SYSTEM VALUE
       VALUES (99999999, $1, $2, $3, 'sent', now(), 1)`,
      [lost.physicalQueue, lost.sealed, lost.jobKey],
    );
    try {
      await eventually(
        'the sweeper to re-send the lost job behind 600 waiting timers',
        async () => (await status('99999999')) === 'done',
        20_000,
        100,
      );
    } finally {
      await env.db.query(`DELETE FROM outbox WHERE id > 100000000`);
    }
  });

  it('a job BullMQ finished whose done-mark PostgreSQL lost (a crash) is run again by the sweeper', async () => {
    const id = await enqueue();
    await eventually('the job to be done', async () => (await status(id)) === 'done', 5_000);
    // What a crash of PostgreSQL leaves when it loses the worker's last deferred commits:
    // the job completed in BullMQ, its row still 'sent' (the delete that finished it lost).
    await env.db.query(
      `INSERT INTO outbox (id, queue, sealed, job_key, status, created_at, run_at, sent_at, sends)
       OVERRIDING SYSTEM VALUE
       SELECT id, queue, sealed, job_key, 'sent', created_at, run_at, sent_at, sends
         FROM outbox_finished WHERE id = $1`,
      [id],
    );
    await eventually(
      'the sweeper to run the job again',
      async () =>
        (await env.db.query(`SELECT 1 FROM outbox_finished WHERE id = $1`, [id])).length === 2,
      15_000,
      100,
    );
    expect(await env.db.query(`SELECT id FROM outbox WHERE id = $1`, [id])).toEqual([]);
    const [{ sends }] = await env.db.query(
      `SELECT sends FROM outbox_finished WHERE id = $1 ORDER BY finished DESC LIMIT 1`,
      [id],
    );
    expect(sends).toBeGreaterThanOrEqual(2);
  });

  it("rows the version before sealed keep only their days after the relay's first start", async () => {
    // What that version wrote: exact times of writing, sending and finishing.
    const sealed = worker.get(OutboxSeal).seal(job('maintenance', 'retention-sweep', {}));
    const [{ id }] = await env.db.query(
      `INSERT INTO outbox (queue, sealed, job_key, status, created_at, run_at, sent_at, done_at)
       VALUES ($1, $2, $3, 'done', now() - interval '3 minutes', now() - interval '3 minutes',
               now() - interval '2 minutes', now() - interval '2 minutes')
       RETURNING id::text AS id`,
      [sealed.physicalQueue, sealed.sealed, sealed.jobKey],
    );
    await worker.get(OutboxRelay).coarsenOlderTimes();
    const [row]: Array<Record<string, Date>> = await env.db.query(
      `SELECT created_at, run_at, sent_at, done_at FROM outbox WHERE id = $1`,
      [id],
    );
    const clock = (at: Date) =>
      at.toLocaleTimeString('en-GB', { timeZone: 'Europe/Moscow', hour12: false });
    expect(Object.values(row).map(clock)).toEqual(['00:00:00', '00:00:00', '00:00:00', '00:00:00']);
  });
});
