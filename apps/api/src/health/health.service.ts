import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig, KeyRing, redisOptions, redisTarget } from '@mayak/platform';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';

export interface DependencyHealth {
  status: 'up' | 'down';
  latencyMs?: number;
  warning?: string;
}

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  /** True while the keys are not in memory: nothing but unsealing works. */
  sealed: boolean;
  custody: 'file' | 'sealed';
  checks: { postgres: DependencyHealth; redis: DependencyHealth & { maxmemoryPolicy?: string } };
}

/**
 * PostgreSQL is essential (without it nothing is stored: "down", 503); Redis is not (intake
 * goes on and jobs wait in the outbox: "degraded").
 */
@Injectable()
export class HealthService implements OnModuleDestroy {
  private readonly redis?: Redis;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly ring: KeyRing,
  ) {
    if (config.REDIS_URL || config.REDIS_SENTINELS)
      this.redis = new Redis({
        ...redisOptions(redisTarget(config)),
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 1_000,
        retryStrategy: (times) => Math.min(times * 200, 2_000),
      });
    this.redis?.on('error', () => undefined); // reported through the health check
  }

  async check(): Promise<Health> {
    const [postgres, redis] = await Promise.all([this.postgres(), this.checkRedis()]);
    const status =
      postgres.status === 'down' ? 'down' : redis.status === 'down' ? 'degraded' : 'ok';
    return {
      status,
      sealed: this.ring.sealed,
      custody: this.config.keyCustody,
      checks: { postgres, redis },
    };
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }

  private async postgres(): Promise<DependencyHealth> {
    const started = performance.now();
    try {
      await withTimeout(this.db.query('SELECT 1'), 2_000);
      return { status: 'up', latencyMs: Math.round(performance.now() - started) };
    } catch {
      return { status: 'down' };
    }
  }

  private async checkRedis(): Promise<DependencyHealth & { maxmemoryPolicy?: string }> {
    const redis = this.redis;
    if (!redis) return { status: 'down', warning: 'REDIS_URL is not set, nor REDIS_SENTINELS' };
    const started = performance.now();
    try {
      if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
      const info = await withTimeout(redis.info('memory'), 2_000);
      const latencyMs = Math.round(performance.now() - started);
      const maxmemoryPolicy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
      const warning =
        maxmemoryPolicy && maxmemoryPolicy !== 'noeviction'
          ? `maxmemory-policy is ${maxmemoryPolicy}; BullMQ needs noeviction or Redis may drop jobs`
          : undefined;
      return { status: 'up', latencyMs, maxmemoryPolicy, ...(warning ? { warning } : {}) };
    } catch {
      return { status: 'down' };
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);
}
