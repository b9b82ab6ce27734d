import { fork } from 'node:child_process';
import {
  DEFAULT_JOB_OPTIONS,
  producerConnection,
  WORKER_OPTIONS,
  workerConnection,
} from '@mayak/platform';
import { Queue, Worker } from 'bullmq';
import { BenchServices } from '../core/services';
import { withTimeout } from '../core/time';

export interface NoopWorkerBaseline {
  jobsPerSecond: number;
  jobs: number;
  concurrency: number;
}

/** What the bench sends the no-op worker's process, and what it answers. */
interface NoopOrder {
  redisUrl: string;
  prefix: string;
  name: string;
  jobs: number;
  concurrency: number;
}
type NoopAnswer = { seconds: number } | { error: string };

/**
 * The ceiling for routing: a BullMQ worker whose processor does nothing, at the worker's
 * configured concurrency, draining a backlog of `jobs` on the same Redis, with Mayak's job
 * and worker options (ids like the outbox relay's, completed jobs kept and trimmed the same way).
 *
 * It runs in a Node process of its own, started for the measurement, as Mayak's worker is for
 * each routing window: both drain their backlog from a cold start. In the bench's own process
 * it warmed from one measurement to the next (11,429, 15,460 and 16,597 jobs/s in three
 * trials of one run, 2026-12-07), while the worker it is the ceiling for starts afresh.
 */
export async function measureNoopWorker(
  services: BenchServices,
  options: { jobs: number; concurrency: number },
): Promise<NoopWorkerBaseline> {
  const name = 'bench-noop';
  const prefix = `${services.prefix}noop`;
  const queue = new Queue(name, {
    connection: producerConnection(services.redisUrl),
    prefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  try {
    for (let i = 0; i < options.jobs; i += 1_000)
      await queue.addBulk(
        Array.from({ length: Math.min(1_000, options.jobs - i) }, (_, k) => ({
          name: 'noop',
          data: { caseId: `${i + k}` },
          opts: { jobId: `outbox-${i + k + 1}` },
        })),
      );
    const child = fork(__filename, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const answer = new Promise<NoopAnswer>((resolve, reject) => {
      child.once('message', (message) => resolve(message as NoopAnswer));
      child.once('exit', (code) => reject(new Error(`the no-op worker exited with ${code}`)));
      child.once('error', reject);
    });
    const order: NoopOrder = {
      redisUrl: services.redisUrl,
      prefix,
      name,
      jobs: options.jobs,
      concurrency: options.concurrency,
    };
    child.send(order);
    try {
      const result = await withTimeout(answer, 150_000, 'the no-op worker draining its backlog');
      if ('error' in result) throw new Error(`the no-op worker failed: ${result.error}`);
      return {
        jobsPerSecond: options.jobs / result.seconds,
        jobs: options.jobs,
        concurrency: options.concurrency,
      };
    } finally {
      if (child.exitCode === null) child.kill();
    }
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

/** In the forked process: drains the backlog, answers the seconds it took, and exits. */
async function drain(order: NoopOrder): Promise<number> {
  let completed = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker(order.name, () => Promise.resolve(), {
    ...WORKER_OPTIONS,
    connection: workerConnection(order.redisUrl),
    prefix: order.prefix,
    concurrency: order.concurrency,
    autorun: false,
  });
  try {
    worker.on('completed', () => {
      if (++completed === order.jobs) finish();
    });
    await worker.waitUntilReady();
    const start = performance.now();
    void worker.run();
    await withTimeout(done, 120_000, 'the no-op worker draining its backlog');
    return (performance.now() - start) / 1000;
  } finally {
    await worker.close();
  }
}

if (require.main === module && process.send)
  process.once('message', (order: NoopOrder) => {
    drain(order).then(
      (seconds) => process.send!({ seconds } satisfies NoopAnswer, () => process.exit(0)),
      (error: unknown) =>
        process.send!({ error: String(error) } satisfies NoopAnswer, () => process.exit(1)),
    );
  });
