import { WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import { AppConfig } from '../config';
import { KeyRing } from '../crypto/key-ring';
import { describeError, Logger, LOGGER } from '../logging';
import { OutboxLedger } from '../outbox/outbox.ledger';
import { JobHandlers, JobName, QueueName } from './queue.contract';

export class UnknownJobError extends Error {
  constructor(queue: string, name: string) {
    super(`no handler for job ${name} on queue ${queue}`);
    this.name = 'UnknownJobError';
  }
}

/**
 * The shape of every processor: it names its queue and hands each job to a domain
 * service through a handler map that TypeScript makes complete. It then settles the job's
 * outbox row: done after success, failed after the last retry.
 */
export abstract class QueueProcessor<Q extends QueueName>
  extends WorkerHost
  implements OnApplicationBootstrap
{
  abstract readonly queueName: Q;
  abstract readonly handlers: JobHandlers<Q>;

  @Inject(OutboxLedger) private readonly ledger!: OutboxLedger;
  @Inject(AppConfig) private readonly appConfig!: AppConfig;
  @Inject(LOGGER) protected readonly logger!: Logger;
  @Inject(KeyRing) private readonly ring!: KeyRing;

  private lastErrorLog = 0;

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.appConfig.WORKER_CONCURRENCY;
    // Sealed, no job runs: the jobs wait (in the outbox, or in Redis) and run once unsealed.
    if (this.ring.sealed) void this.worker.pause(true);
    this.ring.onSeal(() => void this.worker.pause(true));
    this.ring.onUnseal(() => void this.worker.resume());
    // BullMQ reports lost connections here, once a second while Redis is away; they are
    // retried, not fatal, so one line every half minute is enough.
    this.worker.on('error', (error) => {
      if (Date.now() - this.lastErrorLog < 30_000) return;
      this.lastErrorLog = Date.now();
      this.logger.warn(
        { queue: this.queueName, ...describeError(error) },
        'worker cannot reach Redis; retrying',
      );
    });
  }

  async process(job: Job, token?: string): Promise<void> {
    if (this.ring.sealed && token) {
      // Taken just before a pause: put it back for later without spending an attempt.
      await job.moveToDelayed(Date.now() + 1_000, token);
      throw new DelayedError();
    }
    const name = job.name as JobName<Q>;
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, name)
      ? this.handlers[name]
      : undefined;
    if (!handler) throw new UnknownJobError(this.queueName, job.name);
    try {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument
      await handler(job.data, { jobId: job.id ?? '', attemptsMade: job.attemptsMade });
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.logger.warn(
        {
          queue: this.queueName,
          job: job.name,
          jobId: job.id,
          lastAttempt,
          ...describeError(error),
        },
        'job failed',
      );
      if (lastAttempt && job.id)
        await this.ledger.markFailed(job.id, describeError(error).errorName);
      throw error;
    }
    if (job.id) await this.ledger.markDone(job.id);
  }
}
