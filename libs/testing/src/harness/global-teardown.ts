import { withAdminClient } from './test-services';

export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__MAYAK_TEST_SERVICES__;
  const run = process.env.MAYAK_TEST_RUN;
  if (services && run && process.env.TEST_DATABASE_URL) {
    // On a shared server, leave nothing behind.
    await withAdminClient(services.postgresAdminUrl, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`${run}_%`],
      );
      for (const { datname } of rows)
        await client.query(
          `DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`,
        );
    });
  }
  await services?.stop();
}
