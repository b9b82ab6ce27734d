import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres, EmbeddedRedis } from '@mayak/platform/embedded';

/**
 * Real services for tests: TEST_DATABASE_URL / TEST_REDIS_URL when set, otherwise private
 * instances on free loopback ports (embedded PostgreSQL, redis-server from PATH) that are
 * removed afterwards.
 */
export interface TestServices {
  /** A superuser (or CREATEDB) URL to the server, database "postgres". */
  postgresAdminUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

export async function privateDir(prefix: string): Promise<string> {
  // Under /tmp, which the postgres user can reach even when the checkout is under /root.
  return mkdtemp(path.join(tmpdir(), `mayak-${prefix}-`));
}

export async function startPrivatePostgres(): Promise<{
  url: (db?: string) => string;
  pg: EmbeddedPostgres;
  dir: string;
  port: number;
}> {
  const dir = await privateDir('pg');
  const { chmod } = await import('node:fs/promises');
  await chmod(dir, 0o755);
  const pg = new EmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    user: 'postgres',
    // Tests only: fsync off makes CREATE DATABASE and commits cheap; nothing here must survive a crash.
    settings: {
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '300',
    },
  });
  const port = await pg.start();
  return { url: (db = 'postgres') => pg.url(port, db), pg, dir, port };
}

export async function startPrivateRedis(): Promise<{
  redis: EmbeddedRedis;
  dir: string;
  url: string;
}> {
  const dir = await privateDir('redis');
  const redis = new EmbeddedRedis({ dir, persistent: false });
  await redis.start();
  return { redis, dir, url: redis.url() };
}

export async function startTestServices(): Promise<TestServices> {
  const stops: Array<() => Promise<void>> = [];
  let postgresAdminUrl = process.env.TEST_DATABASE_URL;
  if (postgresAdminUrl) {
    const url = new URL(postgresAdminUrl);
    url.pathname = '/postgres';
    postgresAdminUrl = url.toString();
  } else {
    const { url, pg, dir } = await startPrivatePostgres();
    postgresAdminUrl = url();
    stops.push(async () => {
      await pg.destroy();
      await rm(dir, { recursive: true, force: true });
    });
  }
  let redisUrl = process.env.TEST_REDIS_URL;
  if (!redisUrl) {
    const { redis, dir, url } = await startPrivateRedis();
    redisUrl = url;
    stops.push(async () => {
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    });
  }
  return {
    postgresAdminUrl,
    redisUrl,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

/**
 * The role the application connects as in tests: no superuser, owns nothing (see the
 * platform's app-role.ts). Roles belong to the whole server, so every run shares this one; it
 * is created (and its rights granted) by the migrations of each run's template database.
 */
export const TEST_APP_ROLE = 'mayak_test_app';

/** The same database as `adminUrl`'s, reached as the application's role. */
export function appRoleUrl(adminUrl: string, database?: string): string {
  const url = new URL(adminUrl);
  url.username = TEST_APP_ROLE;
  // Only a server that asks for passwords looks at it (the private one trusts loopback).
  url.password = TEST_APP_ROLE;
  if (database) url.pathname = `/${database}`;
  return url.toString();
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(
  adminUrl: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
