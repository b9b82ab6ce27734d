import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config';
import { DecryptionError } from '../crypto/envelope-cipher';
import { ExactTimes } from '../crypto/exact-times';
import { KeyRing } from '../crypto/key-ring';
import { KeyedHash } from '../crypto/keyed-hash';
import { WorkerLeadership } from '../database/leadership';
import { preparedStatement, runPrepared } from '../database/prepared-statement';
import { describeError, Logger } from '../logging';
import { DEFAULT_JOB_OPTIONS } from '../queue/job-options';
import {
  JOB_NAMES,
  JOB_PRIORITY,
  outboxJobId,
  PHYSICAL_QUEUE_NAMES,
  PHYSICAL_QUEUE_OF,
  PhysicalQueue,
  QueueName,
  SEALED_JOB_NAME,
} from '../queue/queue.contract';
import { producerConnection, redisTarget } from '../queue/redis-connection';
import { LOGGER } from '../logging/logger.token';
import { OpenedJob, outboxJobKey, OutboxSeal } from './outbox-seal';

/** A row as read; `job_name` and `payload` only in a row an older version wrote (legacy). */
interface OutboxRow {
  id: string;
  job_key: string | null;
  queue: string;
  sealed: Buffer | null;
  job_name: string | null;
  payload: Record<string, unknown> | null;
  run_at: Date;
  created_at: Date;
}

/** A sealed row, opened: what the relay needs to send it. */
interface Outgoing {
  id: string;
  physicalQueue: PhysicalQueue;
  jobKey: string;
  sealed: Buffer;
  job: OpenedJob;
}

const COLUMNS = `id, job_key, queue, sealed, job_name, payload, run_at, created_at`;

/**
 * The next pending rows, in order, taken and marked sent in one statement (another relay's
 * rows are skipped). It runs inside the relay's transaction, which commits only after the
 * rows are in Redis: if the send fails or the worker dies first, the rollback leaves them
 * pending for the next round, not for the sweeper's 15 s. One statement rather than a SELECT
 * and an UPDATE: a round trip and a statement fewer for each round.
 */
const TAKE_PENDING = preparedStatement(
  'outbox.take-pending',
  `UPDATE outbox SET status = 'sent', sent_at = $2, sends = sends + 1
    WHERE id = ANY(ARRAY(SELECT id FROM outbox WHERE status = 'pending'
                          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED))
    RETURNING ${COLUMNS}`,
);
/**
 * Whether anything waits: the idle probe, run every 20 ms by the leading worker while nothing
 * was sent in its last round (after a round that sent rows, the next round goes straight to
 * the take). Prepared, it is planned once per
 * connection, not at every call: PostgreSQL's CPU per probe fell from 86-96 to 40-44 µs
 * (5,000 probes three times, 2026-12-06), about 0.0025 of a core at 50 probes a second.
 *
 * `ORDER BY id` ties it to the pending rows' index whatever the statistics say. Without it,
 * statistics taken while a backlog waited (Redis away for a while, a surge) make the planner
 * read the table from its start, a cheap way to find one of so many pending rows; the plan is
 * kept until the next ANALYZE, and once the backlog was sent every probe read the whole
 * table: 1,735 buffers a probe, 2 ms of PostgreSQL's CPU, in the routing figure (2026-12-07).
 * test/foundation/prepared-statements.e2e-spec.ts holds the plan.
 */
const ANY_PENDING = preparedStatement(
  'outbox.any-pending',
  `SELECT 1 FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1`,
);
/**
 * The BullMQ queues an older version used, one per logical queue. Nothing serves them now;
 * their jobs (plaintext case ids) are sent again, sealed, from their rows.
 */
const LEGACY_QUEUES = ['routing', 'legal', 'psych', 'emergency'] as const;

const BATCH = 500;

/** Orders rows by their id, a bigint that arrives as text. */
const byId = (a: { id: string }, b: { id: string }): number =>
  a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** How often the leading worker's idle relay looks for new rows: the most a job waits. */
const IDLE_POLL_MS = 20;
/**
 * How often the other workers' relays look: rarely, so that the rows are not split into small
 * batches among them, but often enough that nothing waits long on a leader that hangs.
 */
const FOLLOWER_POLL_MS = 1_000;
/** While sealed, how often the relay looks whether it has been unsealed. */
const SEALED_POLL_MS = 100;
/** After a failure (Redis away), try again at this pace. */
const RETRY_MS = 1_000;

/**
 * Moves outbox rows into BullMQ. It polls: an indexed look at the pending rows every 20 ms
 * while idle, and round again at once while there are rows to send. (NOTIFY would wake it
 * sooner when idle, but a notifying transaction takes a global lock at commit, which capped
 * intake at about 1,200 a second.) Rows are taken with SKIP LOCKED, so several workers relay
 * side by side without sending a row twice; and the job id comes from the row, so even a
 * second send of the same row is a no-op in BullMQ. Only the leading worker (WorkerLeadership)
 * polls every 20 ms; the others look once a second, and keep sending while they find full
 * batches: every relay polling fast would split the same rows into smaller batches, each a
 * transaction, for no more throughput.
 *
 * While Redis is away the send fails fast, the transaction rolls back and the rows simply
 * stay pending in PostgreSQL. The sweeper sends again whatever was sent but never finished
 * (Redis lost it, say), so nothing depends on Redis keeping its data; and it runs again a
 * job BullMQ finished whose done-mark a crash of PostgreSQL lost.
 *
 * The rows' times hold the day only (OutboxWriter); how long a row has been sent is known to
 * the relay that sent it, or first found it sent, from its own memory.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly queues = new Map<PhysicalQueue, Queue>();
  /** Where the sweeper's next look starts: it walks the sent rows by id, a batch a time. */
  private sweepAfterId = '0';
  /**
   * When this relay sent, or first found sent, each row still sent (ms): `sent_at` holds only
   * the day. A row another process sent, or one sent before a restart, waits a full
   * OUTBOX_SWEEP_AFTER_SECONDS from when the sweeper first finds it, never less.
   */
  private readonly sentSince = new Map<string, number>();
  /** The sent rows the current walk has met; what it did not meet is forgotten at its end. */
  private readonly walkMet = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private draining?: Promise<void>;
  private next?: NodeJS.Timeout;
  private stopped = false;
  private redisDown = false;
  /** The last round sent rows: look again at once, without the probe (more are likely). */
  private sentLastRound = false;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly ring: KeyRing,
    private readonly seal: OutboxSeal,
    private readonly hash: KeyedHash,
    private readonly times: ExactTimes,
    private readonly leadership: WorkerLeadership,
  ) {}

  onApplicationBootstrap(): void {
    const target = redisTarget(this.config);
    for (const name of PHYSICAL_QUEUE_NAMES) {
      const queue = new Queue(name, {
        connection: producerConnection(target),
        prefix: this.config.QUEUE_PREFIX,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      });
      queue.on('error', () => undefined); // reported once through the relay's own state
      this.queues.set(name, queue);
    }
    void this.removeLegacyQueues();
    void this.coarsenOlderTimes();
    this.timers.push(
      setInterval(
        () => void this.sweep(),
        Math.min(5_000, this.config.OUTBOX_SWEEP_AFTER_SECONDS * 500),
      ),
    );
    // A worker that comes to lead starts its fast polling at once.
    this.leadership.onChange((leading) => leading && this.kick());
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    clearTimeout(this.next);
    await this.draining;
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }

  /** Drains now (unless a drain is running), then schedules the next look. */
  kick(): void {
    if (this.stopped || this.draining) return;
    clearTimeout(this.next);
    this.draining = this.drain().then((delay) => {
      this.draining = undefined;
      if (!this.stopped) this.next = setTimeout(() => this.kick(), delay);
    });
  }

  /** Sends batches while there are rows; resolves to how long to wait before looking again. */
  private async drain(): Promise<number> {
    // Sealed, the jobs stay in the outbox, where a crash or a lockdown cannot lose them.
    if (this.ring.sealed) return SEALED_POLL_MS;
    const idle = this.leadership.isLeader ? IDLE_POLL_MS : FOLLOWER_POLL_MS;
    try {
      // The idle probe is one indexed query, no transaction. Right after a round that sent
      // rows it is skipped: under load more rows are all but certain, and the round's own
      // take finds them (or finds none, at the cost of an empty transaction).
      if (!this.sentLastRound) {
        const pending = await runPrepared<unknown[]>(this.db, ANY_PENDING, []);
        if (pending.length === 0) return idle;
      }
      for (;;) {
        const sent = await this.db.transaction((em) => this.sendPending(em));
        this.redisUp();
        this.sentLastRound = sent > 0 && this.leadership.isLeader;
        if (sent < BATCH || this.stopped) return this.sentLastRound ? 0 : idle;
      }
    } catch (error) {
      this.sentLastRound = false;
      this.failed(error);
      return RETRY_MS;
    }
  }

  private async sendPending(em: EntityManager): Promise<number> {
    // TypeORM answers an UPDATE with its returned rows and its count.
    const [taken]: [OutboxRow[], number] = await runPrepared(em, TAKE_PENDING, [
      BATCH,
      this.times.today(),
    ]);
    if (taken.length === 0) return 0;
    // RETURNING keeps no order: the rows go to Redis in the order they were written.
    const rows = taken.sort(byId);
    const outgoing = await this.sealLegacy(em, rows);
    await this.send(outgoing);
    const now = Date.now();
    for (const row of outgoing) this.sentSince.set(row.id, now);
    return rows.length;
  }

  /**
   * Opens sealed rows; seals in place, first, the rows an older version wrote in plaintext
   * (their logical queue, job name, payload, due time and case-naming key), so that what
   * leaves for Redis is sealed and the plaintext leaves the table. A legacy row whose job was
   * written again since, sealed, under the same key is deleted: that job is the row.
   */
  private async sealLegacy(em: EntityManager, rows: OutboxRow[]): Promise<Outgoing[]> {
    const out = await this.openAll(
      em,
      rows.filter((row) => row.sealed),
    );
    for (const row of rows) {
      if (row.sealed) continue;
      const queue = row.queue as QueueName;
      if (!Object.prototype.hasOwnProperty.call(JOB_NAMES, queue) || !row.job_name) {
        await em.query(
          `UPDATE outbox SET status = 'failed', last_error = 'unknown_queue' WHERE id = $1`,
          [row.id],
        );
        continue;
      }
      const job: OpenedJob = {
        queue,
        name: row.job_name,
        payload: row.payload ?? {},
        runAt: new Date(row.run_at).getTime(),
      };
      const jobKey = outboxJobKey(this.hash, row.job_key ?? undefined);
      const sealed = this.seal.sealContent(jobKey, job);
      const physicalQueue = PHYSICAL_QUEUE_OF[queue];
      const updated: unknown[] = await em.query(
        `UPDATE outbox SET queue = $2, sealed = $3, job_key = $4, job_name = NULL, payload = NULL,
                created_at = $5, run_at = $5
          WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_key = $4 AND o.id <> $1)
          RETURNING id`,
        [row.id, physicalQueue, sealed, jobKey, this.times.dayOf(new Date(row.created_at))],
      );
      if (updated.length === 0) await em.query(`DELETE FROM outbox WHERE id = $1`, [row.id]);
      else out.push({ id: row.id, physicalQueue, jobKey, sealed, job });
    }
    return out;
  }

  /**
   * Opens sealed rows. One that does not open (moved from another row, or sealed under keys
   * this installation no longer has) is settled as failed, so it cannot stop the relay.
   */
  private async openAll(em: EntityManager, rows: OutboxRow[]): Promise<Outgoing[]> {
    const out: Outgoing[] = [];
    const broken: string[] = [];
    for (const row of rows) {
      const jobKey = row.job_key ?? '';
      try {
        const job = this.seal.open(jobKey, row.sealed!);
        out.push({
          id: row.id,
          physicalQueue: row.queue as PhysicalQueue,
          jobKey,
          sealed: row.sealed!,
          job,
        });
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        broken.push(row.id);
      }
    }
    if (broken.length > 0) {
      await em.query(
        `UPDATE outbox SET status = 'failed', last_error = 'DecryptionError' WHERE id = ANY($1::bigint[])`,
        [broken],
      );
      this.logger.error({ rows: broken.length }, 'outbox rows do not open; settled as failed');
    }
    return out;
  }

  /**
   * Deletes the keys of the BullMQ queues an older version used: their jobs name cases in
   * plaintext, and their rows were made pending again by the migration, so they are sent
   * again, sealed. Nothing when there is nothing (one SCAN per queue).
   */
  private async removeLegacyQueues(): Promise<void> {
    const redis = new Redis({
      ...producerConnection(redisTarget(this.config)),
      lazyConnect: true,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      for (const name of LEGACY_QUEUES) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(
            cursor,
            'MATCH',
            `${this.config.QUEUE_PREFIX}:${name}:*`,
            'COUNT',
            1000,
          );
          if (keys.length > 0) await redis.unlink(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
    } catch {
      // Redis is away: the next start tries again; the jobs there are served by no one.
    } finally {
      redis.disconnect();
    }
  }

  /**
   * Sets the times of sealed rows an older version wrote to their days: it stamped the exact
   * moment of writing and sending. (A plaintext row keeps its `run_at`, a timer's due time,
   * until the relay seals it.) Nothing to do after the first start: one look at a small table.
   */
  async coarsenOlderTimes(): Promise<void> {
    const day = (column: string) => `date_trunc('day', ${column}, $1::text)`;
    try {
      await this.db.query(
        `UPDATE outbox SET created_at = ${day('created_at')}, run_at = ${day('created_at')},
                sent_at = ${day('sent_at')}, done_at = ${day('done_at')}
          WHERE sealed IS NOT NULL
            AND (created_at <> ${day('created_at')} OR run_at <> ${day('created_at')}
                 OR sent_at <> ${day('sent_at')} OR done_at <> ${day('done_at')})`,
        [this.config.STATS_TIMEZONE],
      );
    } catch (error) {
      this.logger.warn(describeError(error), 'outbox: exact times of older rows not coarsened');
    }
  }

  /**
   * Sends again what was sent long enough ago and is still not done. A timer is not looked at
   * before it is due (its due time is sealed, so the relay opens it). The sweeper walks the
   * sent rows by id a batch a time, and locks and touches only the rows it settles: a row's
   * plaintext never moves because it is a timer still waiting. How long a row has been sent
   * is the relay's memory (`sentSince`), not a column.
   */
  async sweep(): Promise<number> {
    if (this.stopped || this.ring.sealed) return 0;
    try {
      const now = Date.now();
      const afterMs = this.config.OUTBOX_SWEEP_AFTER_SECONDS * 1000;
      // In the rows' order (`outbox.id`, a number; `id` alone would be the text column below,
      // whose order skips rows: '1000' sorts before '999', and the next batch starts after it).
      const listed: Array<{ id: string }> = await this.db.query(
        `SELECT id::text AS id FROM outbox
          WHERE status = 'sent' AND sealed IS NOT NULL AND id > $1::bigint
          ORDER BY outbox.id LIMIT $2`,
        [this.sweepAfterId, BATCH],
      );
      for (const { id } of listed) {
        this.walkMet.add(id);
        if (!this.sentSince.has(id)) this.sentSince.set(id, now);
      }
      if (listed.length < BATCH) {
        this.sweepAfterId = '0';
        for (const id of this.sentSince.keys())
          if (!this.walkMet.has(id)) this.sentSince.delete(id);
        this.walkMet.clear();
      } else this.sweepAfterId = listed[listed.length - 1].id;
      const old = listed
        .map((r) => r.id)
        .filter((id) => now - (this.sentSince.get(id) ?? now) >= afterMs);
      if (old.length === 0) return 0;
      const count = await this.db.transaction(async (em) => {
        const rows: OutboxRow[] = await em.query(
          `SELECT ${COLUMNS} FROM outbox
            WHERE id = ANY($1::bigint[]) AND status = 'sent'
            ORDER BY id FOR UPDATE SKIP LOCKED`,
          [old],
        );
        if (rows.length === 0) return 0;
        const dueBefore = now - afterMs;
        const due = (await this.openAll(em, rows)).filter(
          (row) => (row.job.runAt ?? 0) < dueBefore,
        );
        // Lost (Redis restarted empty, FLUSHALL): send again. Failed inside BullMQ without our
        // handler seeing it (stalled too often): settle as failed. Completed in BullMQ: the
        // handler marked the row done before it returned, so that mark was lost; the worker
        // commits without waiting for the WAL flush, and a crash of PostgreSQL loses its last
        // commits. Run it again (handlers are idempotent). Anything else is on its way.
        // The rows are locked: a done-mark cannot land between this look and the decision.
        const lost: Outgoing[] = [];
        const failed: Outgoing[] = [];
        const undone: Outgoing[] = [];
        for (const row of due) {
          const existing = await this.queues.get(row.physicalQueue)?.getJob(row.jobKey);
          if (!existing) lost.push(row);
          else if (await existing.isFailed()) failed.push(row);
          else if (await existing.isCompleted()) {
            await existing.retry('completed', { resetAttemptsMade: true });
            undone.push(row);
          }
        }
        if (lost.length) await this.send(lost);
        const again = [...lost, ...undone].map((r) => r.id);
        await em.query(
          `UPDATE outbox SET sent_at = $2, sends = sends + 1 WHERE id = ANY($1::bigint[])`,
          [again, this.times.today()],
        );
        for (const id of again) this.sentSince.set(id, Date.now());
        await em.query(
          `UPDATE outbox SET status = 'failed', last_error = 'failed_in_queue' WHERE id = ANY($1::bigint[]) AND status = 'sent'`,
          [failed.map((r) => r.id)],
        );
        if (undone.length > 0)
          this.logger.warn(
            { rows: undone.length },
            'outbox sweeper runs again jobs whose done-mark PostgreSQL lost',
          );
        return lost.length + undone.length;
      });
      if (count > 0) this.logger.info({ rows: count }, 'outbox sweeper re-sent lost jobs');
      this.redisUp();
      return count;
    } catch (error) {
      this.failed(error);
      return 0;
    }
  }

  /**
   * Into BullMQ: a neutral name, the sealed blob as data, the job key as id; a timer as a
   * delayed job; emergency work ahead of the rest of the shared queue.
   */
  private async send(rows: Outgoing[]): Promise<void> {
    const now = Date.now();
    const byQueue = new Map<PhysicalQueue, Outgoing[]>();
    for (const row of rows) {
      const list = byQueue.get(row.physicalQueue);
      if (list) list.push(row);
      else byQueue.set(row.physicalQueue, [row]);
    }
    await Promise.all(
      [...byQueue].map(([name, queueRows]) => {
        const queue = this.queues.get(name);
        if (!queue) throw new Error(`outbox row for unknown queue ${name}`);
        return queue.addBulk(
          queueRows.map((row) => {
            const jobId = row.jobKey || outboxJobId(row.id);
            const sealed = row.sealed.toString('base64');
            // Opened here already: this process's worker takes it without opening it again.
            if (jobId === row.jobKey) this.seal.remember(jobId, sealed, row.job);
            return {
              name: SEALED_JOB_NAME,
              data: { sealed },
              opts: {
                jobId,
                delay: Math.max(0, (row.job.runAt ?? now) - now),
                priority: JOB_PRIORITY[row.job.queue],
              },
            };
          }),
        );
      }),
    );
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    if (!this.redisDown) {
      this.redisDown = true;
      // Queue and connection errors quote no data (payloads are sealed), so their message is kept.
      const message = error instanceof Error ? error.message.slice(0, 200) : undefined;
      this.logger.warn(
        { ...describeError(error), message },
        'outbox relay cannot send; rows wait in PostgreSQL',
      );
    }
  }

  private redisUp(): void {
    if (this.redisDown) {
      this.redisDown = false;
      this.logger.info('outbox relay is sending again');
    }
  }
}
