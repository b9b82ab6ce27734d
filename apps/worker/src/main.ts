import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import {
  ConfigError,
  createLogger,
  describeError,
  exitGracefullyOnSignals,
  loadConfig,
  PinoNestLogger,
  requireServices,
} from '@mayak/platform';
import { WorkerModule } from './worker.module';

export async function createWorkerApp(
  config = loadConfig(),
  logger = createLogger('worker', config.LOG_LEVEL),
) {
  requireServices(config);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  return app;
}

async function main(): Promise<void> {
  process.title = 'mayak-worker';
  const config = loadConfig();
  const logger = createLogger('worker', config.LOG_LEVEL);
  const app = await createWorkerApp(config, logger);
  exitGracefullyOnSignals(app, logger);
  await app.init();
  logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker running');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else
      console.error(
        'worker failed to start:',
        error instanceof Error ? error.message : describeError(error),
      );
    process.exit(1);
  });
}
