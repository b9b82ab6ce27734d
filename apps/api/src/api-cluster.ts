import cluster from 'node:cluster';
import type { Logger } from '@mayak/platform';

/** More deaths than this per process within a minute, and the cluster gives up (exit 1). */
const DEATHS_PER_MINUTE = 5;
/** How long the API processes get to finish their requests after SIGTERM. */
const STOP_DEADLINE_MS = 12_000;

/**
 * API_PROCESSES > 1 on one host: this process binds PORT and hands each new connection to
 * one of `count` API processes in turn (node:cluster, round-robin), starting another when
 * one dies. It runs no application code itself and opens no connection to PostgreSQL or
 * Redis. On SIGTERM or SIGINT every API process finishes its requests (as a single API does)
 * and the cluster exits 0. Resolves to the exit code.
 */
export function runApiCluster(count: number, logger: Logger): Promise<number> {
  process.title = 'mayak-api-cluster';
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let stopping = false;
  let deaths: number[] = [];
  for (let i = 0; i < count; i++) cluster.fork();
  logger.info({ processes: count }, 'api cluster started');

  return new Promise((resolve) => {
    const stop = (code: number) => {
      if (stopping) return;
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
      if (alive.length === 0) return resolve(code);
      const deadline = setTimeout(() => {
        for (const worker of alive) worker?.process.kill('SIGKILL');
      }, STOP_DEADLINE_MS);
      let left = alive.length;
      for (const worker of alive) {
        worker!.once('exit', () => {
          left -= 1;
          if (left === 0) {
            clearTimeout(deadline);
            logger.info('api cluster stopped');
            resolve(code);
          }
        });
        worker!.process.kill('SIGTERM');
      }
    };
    cluster.on('exit', (worker, exitCode, signal) => {
      if (stopping) return;
      const now = Date.now();
      deaths = deaths.filter((t) => now - t < 60_000).concat(now);
      if (deaths.length > DEATHS_PER_MINUTE * count) {
        logger.error({ exitCode, signal }, 'api processes keep failing; giving up');
        stop(1);
        return;
      }
      logger.warn(
        { pid: worker.process.pid, exitCode, signal },
        'an api process exited; starting another',
      );
      setTimeout(() => !stopping && cluster.fork(), 250);
    });
    process.once('SIGTERM', () => stop(0));
    process.once('SIGINT', () => stop(0));
  });
}
