import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  DEFAULT_JOB_OPTIONS,
  producerConnection,
  WORKER_OPTIONS,
  workerConnection,
} from '@mayak/platform';
import { Queue, Worker } from 'bullmq';
import { distribution, Distribution, round } from '../core/percentiles';
import { BenchServices } from '../core/services';
import { nowMs, withTimeout } from '../core/time';

export interface DelayedJobsBaseline {
  /** BullMQ delayed jobs with a no-op processor: processing start − due, ms. */
  bullmq: Distribution;
  /** Plain setTimeouts in this process due at the same moments, ms. */
  setTimeout: Distribution;
  /** This process's event-loop delay p99 over the window, ms. */
  eventLoopP99: number;
}

/**
 * The floor under every escalation timer: `count` BullMQ delayed jobs due uniformly over
 * 1–5 s, sent the way the outbox relay sends timers (delay = due − now), taken by a worker
 * with Mayak's worker options at the configured concurrency, whose processor does nothing
 * but note the time. Beside it, plain setTimeouts due at the same moments show what the
 * machine and the event loop alone add in that window.
 */
export async function measureDelayedJobs(
  services: BenchServices,
  options: { count: number; concurrency: number },
): Promise<DelayedJobsBaseline> {
  const { count } = options;
  const name = 'bench-timers';
  const prefix = `${services.prefix}timers`;
  const queue = new Queue(name, {
    connection: producerConnection(services.redisUrl),
    prefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  const lateness: number[] = [];
  const plain: number[] = [];
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker(
    name,
    (job) => {
      lateness.push(nowMs() - (job.data as { due: number }).due);
      if (lateness.length === count) finish();
      return Promise.resolve();
    },
    {
      ...WORKER_OPTIONS,
      connection: workerConnection(services.redisUrl),
      prefix,
      concurrency: options.concurrency,
    },
  );
  const loop = monitorEventLoopDelay({ resolution: 5 });
  try {
    await worker.waitUntilReady();
    const start = nowMs();
    const timers = Array.from({ length: count }, (_, i) => {
      const due = start + 1_000 + Math.random() * 4_000;
      return { name: 'check-ack', data: { due }, opts: { jobId: `outbox-${i + 1}` } };
    });
    for (const t of timers)
      // Node fires a timer on its millisecond clock, up to 1 ms before a fractional due time.
      setTimeout(() => plain.push(Math.max(0, nowMs() - t.data.due)), t.data.due - nowMs());
    const sendAt = nowMs();
    await queue.addBulk(
      timers.map((t) => ({ ...t, opts: { ...t.opts, delay: Math.round(t.data.due - sendAt) } })),
    );
    loop.enable();
    await withTimeout(done, 20_000, `all ${count} delayed jobs firing`);
    loop.disable();
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  await withTimeout(
    (async () => {
      while (plain.length < count) await new Promise((r) => setTimeout(r, 10));
    })(),
    5_000,
    'the setTimeouts firing',
  );
  return {
    bullmq: distribution(lateness),
    setTimeout: distribution(plain),
    eventLoopP99: round(loop.percentile(99) / 1e6),
  };
}
