import type { RedisOptions } from 'bullmq';

/**
 * Where Redis is: one server by URL, or a primary found through Sentinel (high availability:
 * a connection asks the Sentinels for the primary of `name`, and asks again after a failover).
 * With Sentinels, `url` (optional) gives only the primary's credentials and database.
 */
export interface RedisTarget {
  url?: string;
  sentinels?: Array<{ host: string; port: number }>;
  name?: string;
}

/** The target the configuration names: REDIS_SENTINELS first, else REDIS_URL. */
export function redisTarget(config: {
  REDIS_URL?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
}): RedisTarget {
  if (!config.REDIS_SENTINELS) {
    if (!config.REDIS_URL) throw new Error('REDIS_URL is not set, nor REDIS_SENTINELS');
    return { url: config.REDIS_URL };
  }
  return {
    url: config.REDIS_URL,
    name: config.REDIS_SENTINEL_NAME ?? 'mayak',
    sentinels: config.REDIS_SENTINELS.split(',').map((entry) => {
      const at = entry.lastIndexOf(':');
      return {
        host: entry.slice(0, at).replace(/^\[|\]$/g, ''),
        port: Number(entry.slice(at + 1)),
      };
    }),
  };
}

/** ioredis options for a target: a redis:// or rediss:// URL, or Sentinels. */
export function redisOptions(target: RedisTarget | string): RedisOptions {
  const { url, sentinels, name } = typeof target === 'string' ? { url: target } : target;
  const parsed = url ? new URL(url) : undefined;
  const db = parsed?.pathname.replace(/^\//, '');
  const credentials = {
    username: parsed?.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed?.password ? decodeURIComponent(parsed.password) : undefined,
    db: db ? Number(db) : 0,
    tls: parsed?.protocol === 'rediss:' ? {} : undefined,
  };
  if (sentinels?.length)
    return {
      ...credentials,
      sentinels,
      name,
      // Sentinels answer fast or not at all; the next one is asked.
      sentinelRetryStrategy: (times: number) => Math.min(times * 200, 2_000),
      // After a failover the old primary may come back as a replica: never write to it.
      role: 'master',
      enableTLSForSentinelMode: parsed?.protocol === 'rediss:',
    };
  if (!parsed) throw new Error('a Redis URL or Sentinels are needed');
  return { ...credentials, host: parsed.hostname, port: Number(parsed.port || 6379) };
}

/**
 * Workers block on Redis and must wait out an outage rather than fail (BullMQ's guidance:
 * `maxRetriesPerRequest: null`).
 */
export function workerConnection(target: RedisTarget | string): RedisOptions {
  return { ...redisOptions(target), maxRetriesPerRequest: null, enableReadyCheck: true };
}

/**
 * Producers fail fast while Redis is away, so the outbox relay can leave rows pending in
 * PostgreSQL and try again later instead of hanging inside a transaction.
 */
export function producerConnection(target: RedisTarget | string): RedisOptions {
  return {
    ...redisOptions(target),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
}
