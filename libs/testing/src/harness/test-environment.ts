import { randomBytes, randomUUID } from 'node:crypto';
import {
  AppConfig,
  KeyRing,
  loadConfig,
  loadKeyMaterial,
  migrationNames,
  runMigrations,
} from '@mayak/platform';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { appRoleUrl, databaseUrl, withAdminClient } from './test-services';

export interface TestEnvironment {
  config: AppConfig;
  /** The environment variables behind `config`, for child processes. */
  env: Record<string, string>;
  /**
   * A superuser connection to this environment's database, for arranging and inspecting
   * (the application itself connects as TEST_APP_ROLE, through `env.DATABASE_URL`).
   */
  db: DataSource;
  superuserUrl: string;
  adminUrl: string;
  database: string;
  /** A restore drill's wipe: the database dropped and created again, empty (not migrated). */
  wipe(): Promise<void>;
  dispose(): Promise<void>;
}

/** Unlinks every key matching `pattern`: a shared Redis keeps no queue of a finished test. */
async function removeKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run the tests through jest (its globalSetup starts the services)`,
    );
  return value;
}

/**
 * A database of its own (cloned from the migrated template), a Redis key prefix of its own,
 * and fresh keys: test files never see each other's data, even when they run in parallel.
 */
export async function createTestEnvironment(
  overrides: Record<string, string> = {},
  options: { postgresAdminUrl?: string } = {},
): Promise<TestEnvironment> {
  const adminUrl = options.postgresAdminUrl ?? required('MAYAK_TEST_PG_ADMIN_URL');
  const run = required('MAYAK_TEST_RUN');
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
  const database = `${run}_${suffix}`;
  const superuserUrl = databaseUrl(adminUrl, database);
  if (options.postgresAdminUrl) {
    // Another server than the shared one: no template there, so migrate from scratch.
    await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
    await runMigrations(superuserUrl, { appUrl: appRoleUrl(adminUrl, database) });
  } else {
    await withAdminClient(adminUrl, (client) =>
      client.query(`CREATE DATABASE ${database} TEMPLATE ${run}_template`),
    );
  }
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: appRoleUrl(adminUrl, database),
    REDIS_URL: overrides.REDIS_URL ?? required('MAYAK_TEST_REDIS_URL'),
    QUEUE_PREFIX: `t${suffix}`,
    MASTER_KEY: randomBytes(32).toString('base64'),
    CALLER_HASH_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    LOGIN_RATE_PER_MINUTE: '1000',
    DATABASE_POOL_SIZE: '10',
    WORKER_CONCURRENCY: '4',
    OUTBOX_SWEEP_AFTER_SECONDS: '15',
    // Test receivers listen on this machine: the operator's allow-list names it.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
    ...overrides,
  };
  const config = loadConfig(env);
  const db = new DataSource({ type: 'postgres', url: superuserUrl, extra: { max: 3 } });
  await db.initialize();
  return {
    config,
    env,
    db,
    superuserUrl,
    adminUrl,
    database,
    async wipe() {
      await db.destroy();
      await withAdminClient(adminUrl, async (client) => {
        await client.query(`DROP DATABASE ${database} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${database}`);
      });
      await db.initialize();
    },
    async dispose() {
      await removeKeys(env.REDIS_URL, `${env.QUEUE_PREFIX}:*`).catch(() => undefined);
      await db.destroy().catch(() => undefined);
      await withAdminClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
      ).catch(() => undefined);
    },
  };
}

/**
 * An installation upgraded in place, part one: the schema as it was just before `migration`,
 * and the installation's keys (file custody) to write rows as the version before did. Part
 * two is `upgradeTo`.
 */
export async function schemaBefore(env: TestEnvironment, migration: string): Promise<KeyRing> {
  const names = migrationNames();
  const at = names.indexOf(migration);
  if (at < 1) throw new Error(`no migration before ${migration}`);
  await runMigrations(env.superuserUrl, { through: names[at - 1], appUrl: env.env.DATABASE_URL });
  const ring = new KeyRing();
  ring.install(loadKeyMaterial(env.config));
  return ring;
}

/** Runs every migration left; says which ran, so a test can check its own was among them. */
export function upgradeTo(env: TestEnvironment): Promise<string[]> {
  return runMigrations(env.superuserUrl, { appUrl: env.env.DATABASE_URL });
}
