import { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'pino';

/**
 * SIGTERM or SIGINT: stop taking new work, let work in flight finish (HTTP requests, active
 * jobs), close connections, exit 0. Nest's own shutdown hooks re-raise the signal instead,
 * which an orchestrator reads as a crash. A shutdown that hangs is cut off with exit code 1.
 */
export function exitGracefullyOnSignals(
  app: INestApplicationContext,
  logger: Logger,
  deadlineMs = 9_000,
): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    app.close().then(
      () => {
        logger.info('stopped');
        logger.flush?.();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(
          { errorName: error instanceof Error ? error.name : typeof error },
          'shutdown failed',
        );
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}
