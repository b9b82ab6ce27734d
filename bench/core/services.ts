import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedPostgres, EmbeddedRedis } from '@mayak/platform/embedded';
import { Redis } from 'ioredis';
import { Client } from 'pg';

/**
 * The PostgreSQL and Redis every figure (and its baseline) runs against: BENCH_DATABASE_URL
 * and BENCH_REDIS_URL when set, otherwise a private PostgreSQL and redis-server started for
 * this run with the settings of the embedded default (`npm start`) and removed afterwards.
 */
export class BenchServices {
  private readonly databases = new Set<string>();
  private readonly stops: Array<() => Promise<void>> = [];
  /** Every database and every Redis key this run creates starts with this. */
  readonly prefix = `bench${process.pid}`;

  private constructor(
    readonly adminUrl: string,
    readonly redisUrl: string,
    readonly embedded: { postgres: boolean; redis: boolean },
    readonly workDir: string,
    /** pg_stat_statements is loaded (our own server, with --profile). */
    readonly statements = false,
    /** --keep: the run's databases stay until the end (and then with the server's data). */
    readonly keep = false,
  ) {}

  /**
   * `statements`: load pg_stat_statements into the private PostgreSQL (for --profile), so a
   * figure can count and rank the statements each answer costs.
   */
  static async start(options: { keep: boolean; statements?: boolean }): Promise<BenchServices> {
    // Under /tmp, which the postgres user can reach even when the checkout is under /root.
    const workDir = await mkdtemp(path.join(tmpdir(), 'mayak-bench-'));
    await chmod(workDir, 0o755);
    const stops: Array<() => Promise<void>> = [];
    let adminUrl = process.env.BENCH_DATABASE_URL;
    let redisUrl = process.env.BENCH_REDIS_URL;
    try {
      if (adminUrl) {
        const url = new URL(adminUrl);
        url.pathname = '/postgres';
        adminUrl = url.toString();
      } else {
        const pg = new EmbeddedPostgres({
          dataDir: path.join(workDir, 'postgres'),
          user: 'postgres',
          // The embedded default's settings (libs/platform local-stack), durable commits included.
          settings: {
            max_connections: '200',
            shared_buffers: '128MB',
            ...(options.statements
              ? {
                  shared_preload_libraries: 'pg_stat_statements',
                  'pg_stat_statements.track_planning': 'on',
                }
              : {}),
          },
        });
        const port = await pg.start();
        adminUrl = pg.url(port, 'postgres');
        stops.push(() => (options.keep ? pg.stop() : pg.destroy()));
      }
      if (!redisUrl) {
        const redis = new EmbeddedRedis({ dir: path.join(workDir, 'redis'), persistent: true });
        await redis.start();
        redisUrl = redis.url();
        stops.push(() => redis.stop());
      }
    } catch (error) {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
    const services = new BenchServices(
      adminUrl,
      redisUrl,
      { postgres: !process.env.BENCH_DATABASE_URL, redis: !process.env.BENCH_REDIS_URL },
      workDir,
      Boolean(options.statements) && !process.env.BENCH_DATABASE_URL,
      options.keep,
    );
    services.stops.push(...stops);
    if (!options.keep) services.stops.unshift(() => rm(workDir, { recursive: true, force: true }));
    return services;
  }

  /** The private PostgreSQL's postmaster, for CPU accounting; undefined on a configured server. */
  async postgresPid(): Promise<number | undefined> {
    if (!this.embedded.postgres) return undefined;
    const pidFile = await readFile(path.join(this.workDir, 'postgres', 'postmaster.pid'), 'utf8');
    return Number(pidFile.split('\n')[0]);
  }

  databaseUrl(name: string): string {
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** A new database (a copy of `template` when given); dropped when the run ends. */
  async createDatabase(label: string, template?: string): Promise<{ name: string; url: string }> {
    const name = `${this.prefix}_${label}`;
    await this.admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
    });
    this.databases.add(name);
    return { name, url: this.databaseUrl(name) };
  }

  /**
   * Drops a database this run created, once nothing uses it (unless --keep): a figure's
   * database left behind would be vacuumed and analysed by autovacuum while a later window
   * runs, and that window would be charged PostgreSQL's CPU for another database's upkeep.
   */
  async dropDatabase(name: string): Promise<void> {
    if (this.keep || !this.databases.has(name)) return;
    await this.admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    this.databases.delete(name);
  }

  async admin<T>(fn: (client: Client) => Promise<T>, database = 'postgres'): Promise<T> {
    const client = new Client({ connectionString: this.databaseUrl(database) });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  redis(): Redis {
    return new Redis(this.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  }

  /** Removes what the run created (databases, Redis keys), then stops private servers. */
  async stop(keep: boolean): Promise<void> {
    if (!keep || !this.embedded.postgres)
      await this.admin(async (client) => {
        for (const name of this.databases)
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }).catch(() => undefined);
    if (!this.embedded.redis) await this.deleteRedisKeys().catch(() => undefined);
    for (const stop of this.stops.reverse()) await stop().catch(() => undefined);
  }

  private async deleteRedisKeys(): Promise<void> {
    const redis = this.redis();
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
}
