import { randomUUID } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import {
  createTestEnvironment,
  eventually,
  OutboxReader,
  recordFinishedJobs,
  schemaBefore,
  startWorker,
  TestEnvironment,
  upgradeTo,
} from '@mayak/testing';
import Redis from 'ioredis';

const SEALED_OUTBOX = 'SealedOutbox1765400000000';

/**
 * An installation upgraded in place with jobs in flight. The version before wrote outbox
 * rows in plaintext (logical queue, job name, the case in the payload and in the job key, a
 * timer's due time) and sent them to one BullMQ queue per service. After the migration and
 * one start with the keys, every unfinished job is done, sealed, and nothing of the old
 * plaintext is left in the table or in Redis.
 */
describe('outbox rows written by the version before', () => {
  let env: TestEnvironment;
  let worker: INestApplicationContext | undefined;
  let redis: Redis;
  const routed = randomUUID();
  const finished = randomUUID();
  const climbing = randomUUID();
  let timerDue: Date;

  beforeAll(async () => {
    env = await createTestEnvironment();
    await env.wipe();
    await schemaBefore(env, SEALED_OUTBOX);
    const insert = (columns: string, values: string, params: unknown[]) =>
      env.db.query(`INSERT INTO outbox (${columns}) VALUES (${values})`, params);
    // Pending: not yet relayed.
    await insert(`queue, job_name, payload`, `'routing', 'route-case', $1`, [{ caseId: routed }]);
    // An SLA timer, due in a few seconds: its due time must survive the sealing.
    const [{ due }]: Array<{ due: Date }> = await env.db.query(
      `INSERT INTO outbox (queue, job_name, payload, run_at, job_key)
       VALUES ('emergency', 'check-ack', $1, now() + interval '6 seconds', $2) RETURNING run_at AS due`,
      [{ caseId: climbing, tier: 1, round: 1 }, `check-ack-${climbing}-t1-r1`],
    );
    timerDue = due;
    // Sent into a per-service queue that nothing serves any more.
    await insert(
      `queue, job_name, payload, job_key, status, sent_at, sends`,
      `'maintenance', 'stats-rollup', '{}', 'stats-rollup-42', 'sent', now() - interval '1 minute', 1`,
      [],
    );
    // Failed after its retries: tried again once the upgrade is in.
    await insert(
      `queue, job_name, payload, status, sent_at, sends, last_error`,
      `'maintenance', 'volunteer-link-expiry', '{}', 'failed', now(), 1, 'Error'`,
      [],
    );
    // Done: its row (and its case-naming plaintext) goes.
    await insert(
      `queue, job_name, payload, status, sent_at, done_at, sends`,
      `'routing', 'route-case', $1, 'done', now(), now(), 1`,
      [{ caseId: finished }],
    );
    // What the version before left in Redis: a job of the per-service queue 'emergency'.
    redis = new Redis(env.config.REDIS_URL!, { maxRetriesPerRequest: 1 });
    const prefix = env.config.QUEUE_PREFIX;
    await redis.hset(`${prefix}:emergency:outbox-2`, {
      name: 'check-ack',
      data: JSON.stringify({ caseId: climbing, tier: 1, round: 1 }),
    });
    await redis.zadd(`${prefix}:emergency:delayed`, 1, 'outbox-2');
    await redis.rpush(`${prefix}:routing:wait`, 'outbox-1');

    expect(await upgradeTo(env)).toContain(SEALED_OUTBOX);
    // A finished job deletes its row: the rows are read as they were when their jobs finished.
    await recordFinishedJobs((sql, params) => env.db.query(sql, params));
  });
  afterAll(async () => {
    await worker?.close();
    redis?.disconnect();
    await env?.dispose();
  });

  it('the migration drops finished rows and makes every unfinished one pending again', async () => {
    const rows: Array<{ status: string; n: number }> = await env.db.query(
      `SELECT status, count(*)::int AS n FROM outbox GROUP BY status`,
    );
    expect(rows).toEqual([{ status: 'pending', n: 4 }]);
  });

  it('after one start with the keys every job is done, sealed, and the plaintext is gone', async () => {
    worker = await startWorker(env);
    await eventually(
      'every job to be done',
      async () => (await env.db.query(`SELECT id FROM outbox WHERE status <> 'done'`)).length === 0,
      20_000,
      50,
    );
    const timerDoneAt = Date.now();
    // The timer ran when it was due, not when it was sealed.
    expect(timerDoneAt).toBeGreaterThanOrEqual(timerDue.getTime() - 100);

    const seized = JSON.stringify(await env.db.query(`SELECT * FROM outbox_history`));
    for (const secret of [
      routed,
      finished,
      climbing,
      'route-case',
      'check-ack',
      'emergency',
      'routing',
      'stats-rollup-42',
    ])
      expect(seized).not.toContain(secret);
    const rows: Array<Record<string, unknown>> = await env.db.query(`SELECT * FROM outbox_history`);
    expect(rows).toHaveLength(4);
    expect(await env.db.query(`SELECT 1 FROM outbox`)).toEqual([]);
    for (const row of rows) {
      expect(row.job_name).toBeNull();
      expect(row.payload).toBeNull();
      expect(row.sealed).toBeInstanceOf(Buffer);
      expect(row.run_at).toEqual(row.created_at);
      // Every time is the day (a midnight in STATS_TIMEZONE), not the moment of a call.
      // (A finished job's row was deleted, not marked: it has no done_at.)
      expect(row.done_at).toBeNull();
      for (const column of ['created_at', 'run_at', 'sent_at'])
        expect([
          column,
          (row[column] as Date).toLocaleTimeString('en-GB', {
            timeZone: 'Europe/Moscow',
            hour12: false,
          }),
        ]).toEqual([column, '00:00:00']);
    }

    // Opened with the keys, they are the jobs the version before wrote.
    const outbox = OutboxReader.of(env, 'outbox_history');
    const jobs = await outbox.rows();
    expect(
      [...jobs]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((j) => [j.physicalQueue, j.queue, j.name, j.payload]),
    ).toEqual([
      ['cases', 'emergency', 'check-ack', { caseId: climbing, tier: 1, round: 1 }],
      ['cases', 'routing', 'route-case', { caseId: routed }],
      ['maintenance', 'maintenance', 'stats-rollup', {}],
      ['maintenance', 'maintenance', 'volunteer-link-expiry', {}],
    ]);
    const timer = jobs.find((j) => j.name === 'check-ack')!;
    expect(Math.abs(timer.runAt.getTime() - timerDue.getTime())).toBeLessThanOrEqual(1);
    // A keyed job keeps its key, under its pseudonym: written again, it is still written once.
    expect(timer.jobKey).toBe(outbox.jobKey(`check-ack-${climbing}-t1-r1`));
    expect(jobs.find((j) => j.name === 'stats-rollup')!.jobKey).toBe(
      outbox.jobKey('stats-rollup-42'),
    );

    // The per-service queues of the version before are gone from Redis.
    const prefix = env.config.QUEUE_PREFIX;
    for (const queue of ['routing', 'legal', 'psych', 'emergency'])
      expect(await redis.keys(`${prefix}:${queue}:*`)).toEqual([]);
  }, 40_000);
});
