import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config';
import { KeyRing } from '../crypto/key-ring';
import { describeError, Logger } from '../logging';
import { DEFAULT_JOB_OPTIONS } from '../queue/job-options';
import { outboxJobId, QUEUE_NAMES, QueueName } from '../queue/queue.contract';
import { producerConnection } from '../queue/redis-connection';
import { LOGGER } from '../logging/logger.token';

interface OutboxRow {
  id: string;
  job_key: string | null;
  queue: QueueName;
  job_name: string;
  payload: Record<string, unknown>;
  run_at: Date;
}

const BATCH = 500;
/** How often an idle relay looks for new rows: the most a job waits before it is sent. */
const IDLE_POLL_MS = 20;
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
 * second send of the same row is a no-op in BullMQ.
 *
 * While Redis is away the send fails fast, the transaction rolls back and the rows simply
 * stay pending in PostgreSQL. The sweeper sends again whatever was sent but never finished
 * (Redis lost it, say), so nothing depends on Redis keeping its data; and it runs again a
 * job BullMQ finished whose done-mark a crash of PostgreSQL lost.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly timers: NodeJS.Timeout[] = [];
  private draining?: Promise<void>;
  private next?: NodeJS.Timeout;
  private stopped = false;
  private redisDown = false;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly ring: KeyRing,
  ) {}

  onApplicationBootstrap(): void {
    const url = this.config.REDIS_URL;
    if (!url) throw new Error('REDIS_URL is not set');
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, {
        connection: producerConnection(url),
        prefix: this.config.QUEUE_PREFIX,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      });
      queue.on('error', () => undefined); // reported once through the relay's own state
      this.queues.set(name, queue);
    }
    this.timers.push(
      setInterval(
        () => void this.sweep(),
        Math.min(5_000, this.config.OUTBOX_SWEEP_AFTER_SECONDS * 500),
      ),
    );
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
    try {
      // The idle probe is one indexed query, no transaction.
      const pending: unknown[] = await this.db.query(
        `SELECT 1 FROM outbox WHERE status = 'pending' LIMIT 1`,
      );
      if (pending.length === 0) return IDLE_POLL_MS;
      for (;;) {
        const sent = await this.db.transaction((em) => this.sendPending(em));
        this.redisUp();
        if (sent < BATCH || this.stopped) return sent > 0 ? 0 : IDLE_POLL_MS;
      }
    } catch (error) {
      this.failed(error);
      return RETRY_MS;
    }
  }

  private async sendPending(em: EntityManager): Promise<number> {
    const rows: OutboxRow[] = await em.query(
      `SELECT id, job_key, queue, job_name, payload, run_at FROM outbox
        WHERE status = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [BATCH],
    );
    if (rows.length === 0) return 0;
    await this.send(rows);
    await em.query(
      `UPDATE outbox SET status = 'sent', sent_at = now(), sends = sends + 1 WHERE id = ANY($1::bigint[])`,
      [rows.map((r) => r.id)],
    );
    return rows.length;
  }

  /** Sends again what was sent long enough ago and is still not done. */
  async sweep(): Promise<number> {
    if (this.stopped || this.ring.sealed) return 0;
    try {
      const count = await this.db.transaction(async (em) => {
        const rows: OutboxRow[] = await em.query(
          `SELECT id, job_key, queue, job_name, payload, run_at FROM outbox
            WHERE status = 'sent'
              AND sent_at < now() - make_interval(secs => $1)
              AND run_at < now() - make_interval(secs => $1)
            ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [this.config.OUTBOX_SWEEP_AFTER_SECONDS, BATCH],
        );
        if (rows.length === 0) return 0;
        // Lost (Redis restarted empty, FLUSHALL): send again. Failed inside BullMQ without our
        // handler seeing it (stalled too often): settle as failed. Completed in BullMQ: the
        // handler marked the row done before it returned, so that mark was lost; the worker
        // commits without waiting for the WAL flush, and a crash of PostgreSQL loses its last
        // commits. Run it again (handlers are idempotent). Anything else is on its way.
        // The rows are locked: a done-mark cannot land between this look and the decision.
        const lost: OutboxRow[] = [];
        const failed: OutboxRow[] = [];
        const undone: OutboxRow[] = [];
        for (const row of rows) {
          const existing = await this.queues
            .get(row.queue)
            ?.getJob(row.job_key ?? outboxJobId(row.id));
          if (!existing) lost.push(row);
          else if (await existing.isFailed()) failed.push(row);
          else if (await existing.isCompleted()) {
            await existing.retry('completed', { resetAttemptsMade: true });
            undone.push(row);
          }
        }
        if (lost.length) await this.send(lost);
        await em.query(
          `UPDATE outbox SET sent_at = now(), sends = sends + 1 WHERE id = ANY($1::bigint[])`,
          [[...lost, ...undone].map((r) => r.id)],
        );
        await em.query(
          `UPDATE outbox SET status = 'failed', last_error = 'failed_in_queue' WHERE id = ANY($1::bigint[]) AND status = 'sent'`,
          [failed.map((r) => r.id)],
        );
        // Still on its way: look again after another interval.
        const settled = new Set([...lost, ...failed, ...undone]);
        await em.query(
          `UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[]) AND status = 'sent'`,
          [rows.filter((r) => !settled.has(r)).map((r) => r.id)],
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

  private async send(rows: OutboxRow[]): Promise<void> {
    const now = Date.now();
    const byQueue = new Map<QueueName, OutboxRow[]>();
    for (const row of rows) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
    await Promise.all(
      [...byQueue].map(([name, queueRows]) => {
        const queue = this.queues.get(name);
        if (!queue) throw new Error(`outbox row for unknown queue ${name}`);
        return queue.addBulk(
          queueRows.map((row) => ({
            name: row.job_name,
            data: row.payload,
            opts: {
              jobId: row.job_key ?? outboxJobId(row.id),
              delay: Math.max(0, new Date(row.run_at).getTime() - now),
            },
          })),
        );
      }),
    );
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    if (!this.redisDown) {
      this.redisDown = true;
      // Queue and connection errors quote no data (payloads are ids), so their message is kept.
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
