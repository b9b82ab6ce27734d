import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedPostgres, EmbeddedRedis } from '@mayak/platform/embedded';
import { appRoleUrl } from '@mayak/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';

/**
 * The fault suite's own PostgreSQL and Redis, never the machine's shared ones: the scenarios
 * stop, restart and flush them. PostgreSQL keeps its data directory and port across a
 * restart; Redis runs as production does (append-only file, noeviction, hz 100), so a
 * restart keeps its data and only FLUSHALL loses it.
 */
export class FaultServices {
  private constructor(
    readonly workDir: string,
    private readonly pg: EmbeddedPostgres,
    readonly postgresPort: number,
    private readonly redisServer: EmbeddedRedis,
  ) {}

  static async start(): Promise<FaultServices> {
    // Under /tmp, which the postgres user can reach when the tests run as root.
    const workDir = await mkdtemp(path.join(tmpdir(), 'mayak-faults-'));
    await chmod(workDir, 0o755);
    const pg = new EmbeddedPostgres({
      dataDir: path.join(workDir, 'postgres'),
      user: 'postgres',
      settings: {
        max_connections: '200',
        shared_buffers: '128MB',
        // What a machine crash would need does not matter here; what a server restart
        // needs does: commits stay synchronous, so a restart never loses a 201's contact.
        fsync: 'off',
        full_page_writes: 'off',
      },
    });
    const redis = new EmbeddedRedis({ dir: path.join(workDir, 'redis'), persistent: true });
    try {
      const port = await pg.start();
      await redis.start();
      await mkdir(path.join(workDir, 'logs'));
      return new FaultServices(workDir, pg, port, redis);
    } catch (error) {
      await redis.stop().catch(() => undefined);
      await pg.destroy().catch(() => undefined);
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  get logDir(): string {
    return path.join(this.workDir, 'logs');
  }

  get redisUrl(): string {
    return this.redisServer.url();
  }

  /** The superuser's connection: migrations, and the books' own reads. */
  databaseUrl(name: string): string {
    return this.pg.url(this.postgresPort, name);
  }

  /** What the API, the worker and the CLI connect as, as in production: a role owning nothing. */
  appDatabaseUrl(name: string): string {
    return appRoleUrl(this.databaseUrl(name));
  }

  async createDatabase(name: string, template?: string): Promise<string> {
    await this.admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
    });
    return this.databaseUrl(name);
  }

  async dropDatabase(name: string): Promise<void> {
    await this.admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }

  /**
   * `fast`: an operator's restart (sessions are ended, everything committed is on disk).
   * `immediate`: a crash (no shutdown checkpoint; recovery replays the WAL on start).
   */
  stopPostgres(mode: 'fast' | 'immediate'): Promise<void> {
    return this.pg.stop(mode);
  }

  async startPostgres(): Promise<void> {
    await this.pg.start(this.postgresPort);
  }

  stopRedis(): Promise<void> {
    return this.redisServer.stop();
  }

  async startRedis(): Promise<void> {
    await this.redisServer.start();
  }

  async flushRedis(): Promise<void> {
    const client = new Redis(this.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
  }

  /** With FAULTS_KEEP set, the data, databases and logs stay in workDir for a post-mortem. */
  async stop(): Promise<void> {
    await this.redisServer.stop().catch(() => undefined);
    if (process.env.FAULTS_KEEP) {
      await this.pg.stop('fast').catch(() => undefined);
      process.stdout.write(`fault suite: data and logs kept in ${this.workDir}\n`);
      return;
    }
    await this.pg.destroy().catch(() => undefined);
    await rm(this.workDir, { recursive: true, force: true });
  }

  private async admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: this.databaseUrl('postgres') });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
}
