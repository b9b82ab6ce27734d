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

/**
 * The ceiling for routing: a BullMQ worker whose processor does nothing, at the worker's
 * configured concurrency, draining a backlog of `jobs` on the same Redis, with Mayak's job
 * and worker options (ids like the outbox relay's, completed jobs kept and trimmed the same way).
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
  let worker: Worker | undefined;
  try {
    for (let i = 0; i < options.jobs; i += 1_000)
      await queue.addBulk(
        Array.from({ length: Math.min(1_000, options.jobs - i) }, (_, k) => ({
          name: 'noop',
          data: { caseId: `${i + k}` },
          opts: { jobId: `outbox-${i + k + 1}` },
        })),
      );
    let completed = 0;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    worker = new Worker(name, () => Promise.resolve(), {
      ...WORKER_OPTIONS,
      connection: workerConnection(services.redisUrl),
      prefix,
      concurrency: options.concurrency,
      autorun: false,
    });
    worker.on('completed', () => {
      if (++completed === options.jobs) finish();
    });
    await worker.waitUntilReady();
    const start = performance.now();
    void worker.run();
    await withTimeout(done, 120_000, 'the no-op worker draining its backlog');
    const elapsed = (performance.now() - start) / 1000;
    return {
      jobsPerSecond: options.jobs / elapsed,
      jobs: options.jobs,
      concurrency: options.concurrency,
    };
  } finally {
    await worker?.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
