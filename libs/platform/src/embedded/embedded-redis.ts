import { ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { Socket } from 'node:net';
import path from 'node:path';
import { EmbeddedServiceError, findOnPath, freePort, isProcessAlive, waitFor } from './processes';

export interface EmbeddedRedisOptions {
  /** Working directory: config, pid file and (when persistent) the append-only file. */
  dir: string;
  password?: string;
  /** Keep data across restarts with an append-only file (fsync every second). */
  persistent: boolean;
}

export class RedisNotFoundError extends EmbeddedServiceError {
  constructor() {
    super(
      'redis-server was not found on PATH: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL',
    );
  }
}

/**
 * A private redis-server on a free loopback port. It runs with `hz 100` so that BullMQ's
 * delayed jobs (the emergency SLA timers) fire within milliseconds of their due time, and
 * with `maxmemory-policy noeviction` as BullMQ requires.
 */
export class EmbeddedRedis {
  private child?: ChildProcess;
  private currentPort?: number;

  constructor(private readonly options: EmbeddedRedisOptions) {}

  get port(): number {
    if (!this.currentPort) throw new Error('redis is not running');
    return this.currentPort;
  }

  url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : '';
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  async start(port?: number): Promise<number> {
    const binary = findOnPath('redis-server');
    if (!binary) throw new RedisNotFoundError();
    const dir = path.resolve(this.options.dir);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await this.stopStale(dir);
    const chosen = port ?? this.currentPort ?? (await freePort());
    const conf = [
      `port ${chosen}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      'hz 100',
      'maxmemory-policy noeviction',
      `dir ${dir}`,
      `pidfile ${path.join(dir, 'redis.pid')}`,
      'daemonize no',
      'save ""',
      `appendonly ${this.options.persistent ? 'yes' : 'no'}`,
      'appendfsync everysec',
      'loglevel warning',
      `logfile ${path.join(dir, 'redis.log')}`,
      this.options.password ? `requirepass ${this.options.password}` : '',
    ].join('\n');
    const confFile = path.join(dir, 'redis.conf');
    await fs.writeFile(confFile, `${conf}\n`, { mode: 0o600 });
    // A process group of its own: Ctrl-C in a terminal reaches every process in the
    // foreground group, and Redis must outlive the worker's graceful shutdown, not race it.
    // Whoever started it stops it, last.
    const child = spawn(binary, [confFile], { stdio: 'ignore', detached: true });
    this.child = child;
    this.currentPort = chosen;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(
          new EmbeddedServiceError(`redis-server exited with code ${code}; see ${dir}/redis.log`),
        ),
      ),
    );
    await Promise.race([waitFor('redis-server', () => this.ping(), 15_000), exited]);
    return chosen;
  }

  /** Stops the server (SIGTERM lets it flush its append-only file) and waits for it. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  private async stopStale(dir: string): Promise<void> {
    // A server left behind by a parent that was killed would hold the append-only file.
    const pid = Number(await fs.readFile(path.join(dir, 'redis.pid'), 'utf8').catch(() => ''));
    if (!Number.isInteger(pid) || pid <= 0 || pid === this.child?.pid || !isProcessAlive(pid))
      return;
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('redis-server')) return;
    process.kill(pid, 'SIGTERM');
    await waitFor(
      'the stale redis-server to exit',
      () => Promise.resolve(!isProcessAlive(pid)),
      10_000,
    );
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = new Socket();
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (data) => {
        const reply = data.toString();
        // NOAUTH also proves the server is up and answering.
        done(reply.startsWith('+PONG') || reply.includes('NOAUTH'));
      });
      socket.connect(this.currentPort ?? 0, '127.0.0.1', () => socket.write('PING\r\n'));
    });
  }
}
