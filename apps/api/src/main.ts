import 'reflect-metadata';
import cluster from 'node:cluster';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  ConfigError,
  createLogger,
  describeError,
  exitGracefullyOnSignals,
  loadConfig,
  PinoNestLogger,
  requireServices,
} from '@mayak/platform';
import { runApiCluster } from './api-cluster';
import { ApiModule } from './api.module';
import { installLeanAsyncResourceBind } from './http/async-resource-bind';
import { fastifyErrorOptions } from './http/framework-errors';
import { BODY_LIMIT_BYTES, configureHttp } from './http/http-setup';

export async function createApiApp(
  config = loadConfig(),
  logger = createLogger('api', config.LOG_LEVEL),
) {
  requireServices(config);
  installLeanAsyncResourceBind();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    return503OnClosing: true,
    requestIdHeader: false,
    ...fastifyErrorOptions(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config, logger),
    adapter,
    {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
    },
  );
  await configureHttp(app, config, logger);
  return app;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('api', config.LOG_LEVEL);
  if (config.API_PROCESSES > 1 && cluster.isPrimary) {
    requireServices(config);
    process.exitCode = await runApiCluster(config.API_PROCESSES, logger);
    return;
  }
  process.title = 'mayak-api';
  const app = await createApiApp(config, logger);
  exitGracefullyOnSignals(app, logger);
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ host: config.HOST, port: config.PORT }, 'api listening');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error('api failed to start:', describeError(error));
    process.exit(1);
  });
}
