import { ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findOnPath, freePort } from '@mayak/platform/embedded';
import { Redis } from 'ioredis';
import { eventually } from '../app/processes';

const NAME = 'mayak';

/**
 * Redis as a network that must survive its primary's loss would run it: a primary and a
 * replica (both as production runs Redis: AOF, noeviction, hz 100) and three Sentinels that
 * agree (quorum 2) to promote the replica when the primary is gone for a second. Real
 * redis-server processes (`redis-server … --sentinel` is what Debian's redis-sentinel runs).
 */
export class SentinelSet {
  private readonly children: ChildProcess[] = [];
  private primary?: ChildProcess;

  private constructor(
    private readonly dir: string,
    readonly primaryPort: number,
    readonly replicaPort: number,
    readonly sentinelPorts: number[],
  ) {}

  /** `workDir`: where their data and config files go (gone with it). */
  static async start(workDir: string): Promise<SentinelSet> {
    const dir = path.join(workDir, `sentinels-${Date.now()}`);
    await mkdir(dir, { recursive: true });
    const set = new SentinelSet(dir, await freePort(), await freePort(), [
      await freePort(),
      await freePort(),
      await freePort(),
    ]);
    await set.launch();
    return set;
  }

  /** What the API and the worker are given: the Sentinels, never the primary. */
  get env(): Record<string, string> {
    return {
      REDIS_SENTINELS: this.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_SENTINEL_NAME: NAME,
    };
  }

  /** The primary dies as a machine would: SIGKILL, no AOF rewrite, no goodbye. */
  killPrimary(): void {
    this.primary?.kill('SIGKILL');
  }

  /** Resolves once the Sentinels name the replica as the primary; the ms it took. */
  async promoted(since: number, timeoutMs = 30_000): Promise<number> {
    await eventually(
      'the Sentinels to promote the replica',
      async () => (await this.primaryPortNow()) === this.replicaPort,
      timeoutMs,
      100,
    );
    return Date.now() - since;
  }

  async stop(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  private async launch(): Promise<void> {
    const redis = findOnPath('redis-server');
    if (!redis) throw new Error('redis-server is not on PATH');
    const run = (args: string[]) => {
      const child = spawn(redis, args, { stdio: 'ignore' });
      this.children.push(child);
      return child;
    };
    const server = (port: number) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--dbfilename',
      `dump-${port}.rdb`,
      '--appendonly',
      'yes',
      '--appendfilename',
      `aof-${port}`,
      '--appenddirname',
      `aof-${port}`,
      '--maxmemory-policy',
      'noeviction',
      '--hz',
      '100',
    ];
    this.primary = run(server(this.primaryPort));
    run([...server(this.replicaPort), '--replicaof', '127.0.0.1', String(this.primaryPort)]);
    for (const port of this.sentinelPorts) {
      const conf = path.join(this.dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${this.dir}`,
          `sentinel monitor ${NAME} 127.0.0.1 ${this.primaryPort} 2`,
          `sentinel down-after-milliseconds ${NAME} 1000`,
          `sentinel failover-timeout ${NAME} 10000`,
          `sentinel parallel-syncs ${NAME} 1`,
          '',
        ].join('\n'),
      );
      run([conf, '--sentinel']);
    }
    await eventually(
      'the Sentinels to find the replica and each other',
      async () => {
        for (const port of this.sentinelPorts) {
          const replicas = await this.ask<unknown[]>(port, 'SENTINEL', 'replicas', NAME);
          const peers = await this.ask<unknown[]>(port, 'SENTINEL', 'sentinels', NAME);
          if (replicas.length !== 1 || peers.length !== 2) return false;
        }
        return true;
      },
      30_000,
      200,
    );
  }

  /** The port the Sentinels name as the primary now. */
  async primaryPortNow(): Promise<number> {
    const [, port] = await this.ask<[string, string]>(
      this.sentinelPorts[0],
      'SENTINEL',
      'get-master-addr-by-name',
      NAME,
    );
    return Number(port);
  }

  private async ask<T>(port: number, ...command: string[]): Promise<T> {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.call(command[0], ...command.slice(1))) as T;
    } finally {
      client.disconnect();
    }
  }
}
