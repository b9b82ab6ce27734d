import { runMigrations } from '@mayak/platform';
import {
  appRoleUrl,
  databaseUrl,
  startTestServices,
  TestServices,
  withAdminClient,
} from './test-services';

declare global {
  var __MAYAK_TEST_SERVICES__: TestServices | undefined;
}

/**
 * Once per test run: real PostgreSQL and Redis, and a template database with every
 * migration applied. Each test file then clones the template (see test-environment.ts),
 * which takes milliseconds, instead of migrating a database of its own.
 */
export default async function globalSetup(): Promise<void> {
  const services = await startTestServices();
  globalThis.__MAYAK_TEST_SERVICES__ = services;
  const run = `mayak_t${process.pid}`;
  const template = `${run}_template`;
  await withAdminClient(services.postgresAdminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${template}`);
    await client.query(`CREATE DATABASE ${template}`);
  });
  // As the superuser, like an owner; the clones keep the app role's grants and default privileges.
  await runMigrations(databaseUrl(services.postgresAdminUrl, template), {
    appUrl: appRoleUrl(services.postgresAdminUrl, template),
  });
  process.env.MAYAK_TEST_PG_ADMIN_URL = services.postgresAdminUrl;
  process.env.MAYAK_TEST_REDIS_URL = services.redisUrl;
  process.env.MAYAK_TEST_RUN = run;
}
