import { WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import { AppConfig } from '../config';
import { KeyRing } from '../crypto/key-ring';
import { WorkerLeadership } from '../database/leadership';
import { describeError, Logger, LOGGER } from '../logging';
import { OutboxLedger } from '../outbox/outbox.ledger';
import { OutboxSeal } from '../outbox/outbox-seal';
import { coalesceRedisWrites } from './coalesced-writes';
import {
  JOB_NAMES,
  JOB_SETTLED,
  JOB_URGENCY,
  JobHandlers,
  PHYSICAL_QUEUE_OF,
  PhysicalQueue,
  QueueName,
  QueuesOn,
} from './queue.contract';
import { LookClient, lookAtQueue, LOOK_EVERY_MS, Standby } from './standby';
import { BACKGROUND_START_WAIT_MS, UrgentWork } from './urgent-work';

export class UnknownJobError extends Error {
  constructor(queue: string, name: string) {
    super(`no handler for job ${name} on queue ${queue}`);
    this.name = 'UnknownJobError';
  }
}

/**
 * The shape of every processor: it names its logical queue and hands each job to a domain
 * service through a handler map that TypeScript makes complete. It runs no BullMQ worker of
 * its own: the worker of its physical queue (SealedJobWorker) opens each job and calls it.
 */
export abstract class QueueProcessor<Q extends QueueName> {
  abstract readonly queueName: Q;
  abstract readonly handlers: JobHandlers<Q>;
  /**
   * How many of its jobs run at once; WORKER_CONCURRENCY when not set. A queue whose handlers
   * share transactions (GroupCommit) sets more: a job waiting for its batch holds no
   * connection, and jobs that fall due together can share a batch only if they run together.
   */
  readonly concurrency?: number;

  @Inject(LOGGER) protected readonly logger!: Logger;
}

/** The processors a physical queue's worker dispatches to: one for each of its logical queues. */
export type ProcessorsOn<P extends PhysicalQueue> = {
  readonly [Q in QueuesOn<P>]: QueueProcessor<Q>;
};

/** BullMQ job data of a sealed job: the outbox row's sealed blob. */
interface SealedData {
  sealed?: unknown;
}

/**
 * The one BullMQ worker of a physical queue. It opens each job's sealed data (its logical
 * queue, name and payload), hands it to that logical queue's processor, and then settles the
 * job's outbox row: done after success, failed after the last retry.
 *
 * Its concurrency is the sum of its logical queues' (each WORKER_CONCURRENCY, unless its
 * processor says otherwise), what their own workers had together, and no logical queue runs
 * more than its own at once (inLane); BullMQ's priorities (JOB_PRIORITY) put emergency work
 * first. In the process, emergency jobs count as urgent work while they run, and maintenance
 * jobs wait for it, a few seconds at most, before they start (JOB_URGENCY, UrgentWork).
 */
export abstract class SealedJobWorker<P extends PhysicalQueue>
  extends WorkerHost
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  abstract readonly physicalQueue: P;
  abstract readonly processors: ProcessorsOn<P>;
  /**
   * A logical queue whose jobs may also come unsealed: the jobs of maintenance's schedules,
   * which BullMQ itself makes (their name is their job, their data empty).
   */
  protected readonly plainQueue?: QueuesOn<P>;
  /**
   * Whether the workers' leader alone takes this queue's jobs while it keeps up, the others
   * standing by until it falls behind (Standby). Without a leadership (a process that is not
   * a worker), this worker takes jobs as any other.
   */
  protected readonly leaderFirst: boolean = false;

  @Inject(OutboxLedger) private readonly ledger!: OutboxLedger;
  @Inject(OutboxSeal) private readonly seal!: OutboxSeal;
  @Inject(AppConfig) private readonly appConfig!: AppConfig;
  @Inject(LOGGER) protected readonly logger!: Logger;
  @Inject(KeyRing) private readonly ring!: KeyRing;
  @Optional() @Inject(WorkerLeadership) private readonly leadership?: WorkerLeadership;
  @Optional() @Inject(UrgentWork) private readonly urgent?: UrgentWork;

  private lastErrorLog = 0;
  /** Jobs of each logical queue running now, and those waiting for their turn. */
  private readonly lanes = new Map<QueueName, { running: number; waiting: Array<() => void> }>();
  private readonly standby = new Standby();
  private looking?: NodeJS.Timeout;
  private lookPending = false;
  /** Pauses and resumes, one after another, each to the state wanted when it runs. */
  private settling: Promise<void> = Promise.resolve();

  onApplicationBootstrap(): void {
    this.worker.concurrency = Object.keys(this.processors).reduce(
      (sum, queue) => sum + this.laneWidth(queue as QueueName),
      0,
    );
    // The jobs of a batch finish together: their script calls leave in one write.
    void this.redisClient()
      ?.then((client) => coalesceRedisWrites(client as Parameters<typeof coalesceRedisWrites>[0]))
      .catch(() => undefined);
    // Sealed, no job runs: the jobs wait (in the outbox, or in Redis) and run once unsealed.
    this.ring.onSeal(() => {
      // What the relay opened for us goes with the keys.
      this.seal.forgetSent();
      this.standby.reset();
      this.settle();
    });
    this.ring.onUnseal(() => this.settle());
    const leadership = this.standbyLeadership;
    if (leadership) {
      leadership.onChange(() => {
        this.standby.reset();
        this.settle();
      });
      this.looking = setInterval(() => void this.look(leadership), LOOK_EVERY_MS).unref();
    }
    this.settle();
    // BullMQ reports lost connections here, once a second while Redis is away; they are
    // retried, not fatal, so one line every half minute is enough.
    this.worker.on('error', (error) => {
      if (Date.now() - this.lastErrorLog < 30_000) return;
      this.lastErrorLog = Date.now();
      this.logger.warn(
        { queue: this.physicalQueue, ...describeError(error) },
        'worker cannot reach Redis; retrying',
      );
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.looking);
  }

  /** The leadership this worker stands by under: only where the leader takes the jobs first. */
  private get standbyLeadership(): WorkerLeadership | undefined {
    return this.leaderFirst ? this.leadership : undefined;
  }

  /** The Redis client of this worker's BullMQ backend (not its blocking connection). */
  private redisClient(): Promise<unknown> | undefined {
    return (this.worker.getBackend() as { client?: Promise<unknown> }).client;
  }

  /** Whether this worker should take jobs now. */
  private get taking(): boolean {
    if (this.ring.sealed) return false;
    const leadership = this.standbyLeadership;
    return !leadership || leadership.isLeader || this.standby.taking;
  }

  /** Pauses or resumes the BullMQ worker to match `taking`. */
  private settle(): void {
    this.settling = this.settling
      .then(async () => {
        const [taking, paused] = [this.taking, this.worker.isPaused()];
        if (taking && paused) await this.worker.resume();
        else if (!taking && !paused) await this.worker.pause(true);
      })
      .catch(() => undefined);
  }

  /** Standing by: one look at the queue, to join in if the leader is behind (Standby). */
  private async look(leadership: WorkerLeadership): Promise<void> {
    if (this.lookPending || leadership.isLeader || this.ring.sealed) return;
    this.lookPending = true;
    try {
      const client = (await this.redisClient()) as LookClient | undefined;
      if (!client) return;
      const keys = this.worker.keys;
      const look = await lookAtQueue(client, {
        wait: keys.wait,
        prioritized: keys.prioritized,
        delayed: keys.delayed,
      });
      const before = this.standby.taking;
      if (this.standby.observe(look, Date.now()) !== before) {
        this.logger.info(
          { queue: this.physicalQueue, taking: !before },
          before
            ? 'the leader has caught up; standing by'
            : 'the leader is behind; taking jobs too',
        );
        this.settle();
      }
    } catch {
      // Redis away: the worker's own error handler says so; look again next time.
    } finally {
      this.lookPending = false;
    }
  }

  async process(job: Job, token?: string): Promise<void> {
    if (this.ring.sealed && token) {
      // Taken just before a pause: put it back for later without spending an attempt.
      await job.moveToDelayed(Date.now() + 1_000, token);
      throw new DelayedError();
    }
    let outcome: void | typeof JOB_SETTLED;
    try {
      const { queue, name, payload } = this.open(job);
      const processor = (this.processors as Record<string, QueueProcessor<QueueName>>)[queue];
      const handlers = processor?.handlers as
        | Record<string, (payload: unknown, context: unknown) => Promise<void | typeof JOB_SETTLED>>
        | undefined;
      const handler =
        handlers && Object.prototype.hasOwnProperty.call(handlers, name)
          ? handlers[name]
          : undefined;
      if (!handler) throw new UnknownJobError(queue, name);
      const run = () =>
        this.inLane(queue, () =>
          handler(payload, { jobId: job.id ?? '', attemptsMade: job.attemptsMade }),
        );
      // Emergency work counts as urgent while it runs; background work lets it go first.
      const urgency = JOB_URGENCY[queue];
      if (urgency === 'background') await this.urgent?.giveWay(BACKGROUND_START_WAIT_MS);
      outcome = urgency === 'urgent' && this.urgent ? await this.urgent.track(run) : await run();
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      // The physical queue and the job key only: the log says no more than Redis does.
      this.logger.warn(
        { queue: this.physicalQueue, jobId: job.id, lastAttempt, ...describeError(error) },
        'job failed',
      );
      if (lastAttempt && job.id)
        await this.ledger.markFailed(job.id, describeError(error).errorName);
      throw error;
    }
    // Settled: the handler's transaction deleted the row with the work it did.
    if (job.id && outcome !== JOB_SETTLED) await this.ledger.markDone(job.id);
  }

  /** How many jobs of a logical queue run at once. */
  private laneWidth(queue: QueueName): number {
    const processor = (this.processors as Record<string, QueueProcessor<QueueName>>)[queue];
    return processor?.concurrency ?? this.appConfig.WORKER_CONCURRENCY;
  }

  /**
   * Runs at most WORKER_CONCURRENCY jobs of one logical queue at once (or what its processor
   * says), as its own worker did:
   * a burst of routing takes no more database connections, and no more of the staff rows that
   * routing locks (SKIP LOCKED: with more routings at once than staff, a case finds everyone
   * locked and is left in the pool), than before the queues were shared. A job over the limit
   * waits here, holding its worker slot; each job that finishes frees a slot, which BullMQ fills
   * with the most urgent job waiting, so an emergency waits for one job, not for the burst.
   */
  private async inLane<T>(queue: QueueName, run: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(queue);
    if (!lane) this.lanes.set(queue, (lane = { running: 0, waiting: [] }));
    if (lane.running >= this.laneWidth(queue))
      await new Promise<void>((resolve) => lane.waiting.push(resolve));
    else lane.running += 1;
    try {
      return await run();
    } finally {
      // Hand the place on to the next waiting job, or give it up.
      const next = lane.waiting.shift();
      if (next) next();
      else lane.running -= 1;
    }
  }

  /** The job's logical queue, name and payload, from its sealed data. */
  private open(job: Job): { queue: QueueName; name: string; payload: unknown } {
    const data = job.data as SealedData | null;
    if (typeof data?.sealed === 'string') {
      // Opened once: by this process's relay when it sent the job, or here.
      const opened = this.seal.openSent(job.id ?? '', data.sealed);
      if (PHYSICAL_QUEUE_OF[opened.queue] !== this.physicalQueue)
        throw new UnknownJobError(this.physicalQueue, opened.name);
      return opened;
    }
    const plain = this.plainQueue;
    if (plain && Object.prototype.hasOwnProperty.call(JOB_NAMES[plain], job.name))
      return { queue: plain, name: job.name, payload: job.data ?? {} };
    throw new UnknownJobError(this.physicalQueue, job.name);
  }
}
