import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, Logger } from '@mayak/platform';
import { createApiApp } from '../../../../apps/api/src/main';
import { createWorkerApp } from '../../../../apps/worker/src/main';
import { TestEnvironment } from '../harness/test-environment';

export interface RunningApi {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** The real API (same module, same HTTP setup as main.ts) on a free loopback port. */
export async function startApi(
  env: TestEnvironment,
  logger: Logger = createLogger('api', 'silent'),
): Promise<RunningApi> {
  const app = await createApiApp(env.config, logger);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (!address || typeof address !== 'object') throw new Error('the API did not bind a port');
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** The real worker (processors and outbox relay) in this process. */
export async function startWorker(
  env: TestEnvironment,
  logger: Logger = createLogger('worker', 'silent'),
): Promise<INestApplicationContext> {
  const app = await createWorkerApp(env.config, logger);
  await app.init();
  return app;
}
