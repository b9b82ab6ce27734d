import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import {
  EnvelopeCipher,
  ExactTimes,
  KeyedHash,
  KeyRing,
  PHYSICAL_QUEUE_NAMES,
  producerConnection,
  runMigrations,
} from '@mayak/platform';
import { Queue } from 'bullmq';
import { freePort } from '@mayak/platform/embedded';
import { custodyKeys, initCustody, readKeystore, unsealWithShares } from '@mayak/testing';
import { Pool } from 'pg';
import { Api, BenchAccount, inBatches, signIn } from './accounts';
import { AppProcess, runToCompletion, waitUntil } from './apps';
import { BenchServices } from './services';

export interface AccountSet {
  admin: BenchAccount;
  volunteers: BenchAccount[];
  coordinator: BenchAccount;
  lawyers: BenchAccount[];
  /** On call at tier 1 for the timers figure. */
  responder: BenchAccount;
}

const VOLUNTEERS = 10;
const LAWYERS = 20;

/** The API and/or the worker of one figure, on a database and a queue prefix of its own. */
export class RunningStack {
  /** The API: with API_PROCESSES > 1, the cluster's primary (its API processes are its children). */
  api?: AppProcess;
  /** The first worker process. */
  worker?: AppProcess;
  /** Every worker process, against the same PostgreSQL and Redis. */
  readonly workers: AppProcess[] = [];
  readonly db: Pool;

  constructor(
    readonly label: string,
    readonly database: { name: string; url: string },
    readonly env: Record<string, string>,
    readonly http: Api,
    private readonly logDir: string,
    readonly profileDir?: string,
    private readonly onStop?: () => Promise<void>,
    /** Key holders' shares: every process starts sealed, as in production. */
    private readonly shares: () => string[] = () => [],
  ) {
    this.db = new Pool({ connectionString: database.url, max: 4 });
    // A server stopping under an idle connection (Ctrl-C) must not crash the cleanup.
    this.db.on('error', () => undefined);
  }

  async startApi(): Promise<AppProcess> {
    const api = AppProcess.start(
      'api',
      this.env,
      path.join(this.logDir, `${this.label}-api.log`),
      this.nodeArgs('api'),
    );
    this.api = api;
    await waitUntil(
      'the API to answer /api/health',
      async () => (await fetch(`${this.http.baseUrl}/api/health`)).ok,
      { process: api, timeoutMs: 60_000 },
    );
    await this.unseal();
    const processes = Number(this.env.API_PROCESSES ?? 1);
    if (processes > 1)
      // The shares reach one API process; the others take the root from their peers. Each new
      // connection goes to the next process in turn: every one of them must answer unsealed.
      await waitUntil(
        `all ${processes} API processes to be unsealed`,
        async () => {
          for (let i = 0; i < processes * 4; i++)
            if (await sealedOnNewConnection(this.http.baseUrl)) return false;
          return true;
        },
        { process: api, timeoutMs: 30_000, intervalMs: 250 },
      );
    return api;
  }

  /**
   * Key holders' part, done once per API start: two shares to it, which unseals it and then
   * any sealed worker (a worker started later takes the root from the API by itself).
   */
  private async unseal(): Promise<void> {
    const health = (await (await fetch(`${this.http.baseUrl}/api/health`)).json()) as {
      sealed: boolean;
    };
    if (!health.sealed) return;
    await unsealWithShares(this.http.baseUrl, this.shares());
    // Peers ask for the root within milliseconds of the announcement; let them.
    await new Promise((r) => setTimeout(r, 300));
  }

  /**
   * One more worker process (the first, or another beside those running); ready once every
   * queue of the contract has as many workers connected to Redis as there are processes.
   */
  async startWorker(): Promise<AppProcess> {
    const n = this.workers.length;
    const name = n === 0 ? 'worker' : `worker${n + 1}`;
    const worker = AppProcess.start(
      'worker',
      this.env,
      path.join(this.logDir, `${this.label}-${name}.log`),
      this.nodeArgs(name),
    );
    this.worker ??= worker;
    this.workers.push(worker);
    const queues = PHYSICAL_QUEUE_NAMES.map(
      (name) =>
        new Queue(name, {
          connection: producerConnection(this.env.REDIS_URL),
          prefix: this.env.QUEUE_PREFIX,
        }),
    );
    try {
      await waitUntil(
        'the worker to start',
        async () => {
          const counts = await Promise.all(queues.map((q) => q.getWorkersCount()));
          return counts.every((count) => count >= this.workers.length);
        },
        { process: worker, timeoutMs: 60_000 },
      );
    } finally {
      await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    }
    return worker;
  }

  /** Stops every worker process (the API runs on), so that a figure can start one afresh. */
  async stopWorkers(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    this.workers.length = 0;
    this.worker = undefined;
  }

  private nodeArgs(app: string): string[] {
    // BENCH_API_NODE_ARGS, BENCH_WORKER_NODE_ARGS: Node's own options for the API or the
    // worker (--trace-gc, say), to look into it.
    const extra = (
      (app === 'api' ? process.env.BENCH_API_NODE_ARGS : process.env.BENCH_WORKER_NODE_ARGS) ?? ''
    ).split(' ');
    const own = extra.filter(Boolean);
    if (!this.profileDir) return own;
    // The cluster's API processes inherit these arguments: one name would leave only the
    // profile of whichever process exited last, so under API_PROCESSES each keeps Node's
    // default name (CPU.<date>.<time>.<pid>…), the primary's being the smallest.
    const clustered = app === 'api' && Number(this.env.API_PROCESSES ?? 1) > 1;
    return [
      ...own,
      '--cpu-prof',
      `--cpu-prof-dir=${this.profileDir}`,
      ...(clustered ? [] : [`--cpu-prof-name=${this.label}-${app}.cpuprofile`]),
    ];
  }

  signIn(account: BenchAccount): Promise<string> {
    return signIn(this.http, account);
  }

  /**
   * The keys this stack's processes hold, for a figure that must read sealed data itself (the
   * statistics' ground truth opens the contacts' facts): the key holders' shares and the
   * keystore, as an unseal would combine them.
   */
  async keyRing(): Promise<KeyRing> {
    const { material } = await custodyKeys(this.shares(), await readKeystore(this.db));
    const ring = new KeyRing();
    ring.install(material);
    return ring;
  }

  /**
   * Opens the exact times open work keeps sealed beside its days (a case's `assigned_at`, say),
   * for figures that time the system by them. The stack runs with the default STATS_TIMEZONE.
   */
  async exactTimes(): Promise<ExactTimes> {
    const ring = await this.keyRing();
    return new ExactTimes(new EnvelopeCipher(ring), new KeyedHash(ring), 'Europe/Moscow');
  }

  async stop(): Promise<void> {
    await Promise.all([this.api?.stop(), ...this.workers.map((w) => w.stop())]);
    await this.db.end().catch(() => undefined);
    await this.onStop?.();
  }
}

/**
 * Mayak itself, for the figures that need it: a template database (migrated, with accounts)
 * made once, then for each figure a copy of it, a queue prefix of its own, and the API and
 * worker as child processes from dist/. Figures never see each other's data or backlog.
 */
export class AppStack {
  /** Sealed custody, as production runs: a node credential, and shares to unseal with. */
  readonly keys = {
    KEY_CUSTODY: 'sealed',
    NODE_CREDENTIAL: randomBytes(32).toString('base64'),
  };
  private shares: string[] = [];
  private readonly password = `bench-${randomBytes(12).toString('hex')}`;
  private prepared?: Promise<{ template: string; accounts: AccountSet }>;
  private readonly running = new Set<RunningStack>();

  constructor(
    private readonly services: BenchServices,
    readonly workerConcurrency: number,
    private readonly log: (line: string) => void,
    /** Where the API's and worker's CPU profiles go; no profiling without it. */
    private readonly profileDir?: string,
  ) {}

  get logDir(): string {
    return this.services.workDir;
  }

  accounts(): Promise<AccountSet> {
    return this.prepare().then((p) => p.accounts);
  }

  /** A copy of the template database (migrated, with accounts), with no app running on it. */
  async freshDatabase(label: string): Promise<{ name: string; url: string }> {
    const { template } = await this.prepare();
    return this.services.createDatabase(label, template);
  }

  /**
   * A figure's own copy of the template with the API and/or the worker running on it. With
   * `processes` > 1, that many API processes (API_PROCESSES, node:cluster behind one port)
   * and that many worker processes, all against the same PostgreSQL and Redis.
   */
  async launch(
    label: string,
    apps: { api: boolean; worker: boolean; processes?: number },
  ): Promise<RunningStack> {
    const { template } = await this.prepare();
    const processes = apps.processes ?? 1;
    const stack = await this.fresh(label, template, processes);
    try {
      if (apps.worker) for (let i = 0; i < processes; i++) await stack.startWorker();
      if (apps.api) await stack.startApi();
      return stack;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  /** Stops every API and worker still running (an interrupted run). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((stack) => stack.stop()));
  }

  private async fresh(label: string, template?: string, processes = 1): Promise<RunningStack> {
    const database = await this.services.createDatabase(label.replace(/-/g, '_'), template);
    const port = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: path.join(this.services.workDir, 'var'),
      DATABASE_URL: database.url,
      REDIS_URL: this.services.redisUrl,
      QUEUE_PREFIX: `${this.services.prefix}${label.replace(/[^a-z0-9]/g, '')}`.slice(0, 32),
      WORKER_CONCURRENCY: String(this.workerConcurrency),
      // Production logs every request at info; the bench pays for that too.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      // Setting up a figure signs in dozens of accounts from one address.
      LOGIN_RATE_PER_MINUTE: '100000',
      ...(processes > 1 ? { API_PROCESSES: String(processes) } : {}),
      ...this.keys,
    };
    const stack = new RunningStack(
      label,
      database,
      env,
      new Api(`http://127.0.0.1:${port}`),
      this.services.workDir,
      label === 'template' ? undefined : this.profileDir,
      async () => {
        this.running.delete(stack);
        // The template outlives its stack; every figure's copy goes with its stack.
        if (label !== 'template')
          await this.services.dropDatabase(database.name).catch(() => undefined);
      },
      () => this.shares,
    );
    this.running.add(stack);
    return stack;
  }

  private prepare(): Promise<{ template: string; accounts: AccountSet }> {
    this.prepared ??= this.makeTemplate();
    return this.prepared;
  }

  private async makeTemplate(): Promise<{ template: string; accounts: AccountSet }> {
    const started = Date.now();
    const stack = await this.fresh('template');
    await runMigrations(stack.database.url);
    // The key holders' shares, made once for the template every figure's database copies.
    this.shares = await initCustody({ env: { ...stack.env, LOG_LEVEL: 'warn' } });
    let accounts: AccountSet;
    try {
      await stack.startApi();
      // The command line takes its keys from the unsealed API, as an operator's would.
      const admin = await this.createAtCommandLine(stack.env, 'bench.admin', ['admin']);
      const adminToken = await stack.signIn(admin);
      // The coordinator who confirms the admin's grants (two people), made the same way.
      const coordinator = await this.createAtCommandLine(stack.env, 'bench.coordinator', [
        'coordinator',
      ]);
      const coordinatorToken = await stack.signIn(coordinator);
      // The rest as the product makes them: the admin creates the account without a password,
      // its owner enrols with the one-time code, and a coordinator confirms any role beyond
      // volunteer.
      const create = async (username: string, roles: string[]): Promise<BenchAccount> => {
        const { id, enrolment } = await stack.http.expect<{
          id: string;
          enrolment: { code: string };
        }>(201, 'POST', '/api/admin/users', { username, roles }, adminToken);
        const { secret } = await stack.http.expect<{ secret: string }>(
          200,
          'POST',
          '/api/auth/enrol',
          { code: enrolment.code, password: this.password },
        );
        const pending = await stack.http.expect<Array<{ id: string; userId: string }>>(
          200,
          'GET',
          '/api/role-grants',
          undefined,
          coordinatorToken,
        );
        for (const grant of pending.filter((g) => g.userId === id))
          await stack.http.expect(
            204,
            'POST',
            `/api/role-grants/${grant.id}/confirm`,
            undefined,
            coordinatorToken,
          );
        return { id, username, password: this.password, totpSecret: secret };
      };
      const pad = (i: number) => String(i + 1).padStart(2, '0');
      const volunteers = await inBatches(range(VOLUNTEERS), 2, (i) =>
        create(`bench.volunteer.${pad(i)}`, ['volunteer']),
      );
      const lawyers = await inBatches(range(LAWYERS), 2, (i) =>
        create(`bench.lawyer.${pad(i)}`, ['lawyer']),
      );
      const responder = await create('bench.responder', ['responder']);
      accounts = { admin, volunteers, lawyers, coordinator, responder };
    } finally {
      await stack.stop();
    }
    // Settle the template now, once: its migrations and accounts left dead catalog rows and
    // unset hint bits that autovacuum would otherwise deal with during a figure's measured
    // window (charged to it as PostgreSQL's CPU), and every copy starts from the same state.
    await this.services.admin(
      (client) => client.query('VACUUM (ANALYZE, FREEZE)'),
      stack.database.name,
    );
    this.log(
      `  template database with ${VOLUNTEERS} volunteers, ${LAWYERS} lawyers, a coordinator and a responder (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    return { template: stack.database.name, accounts };
  }

  /** An account made the operator's way, at the command line (every role at once). */
  private async createAtCommandLine(
    env: Record<string, string>,
    username: string,
    roles: string[],
  ): Promise<BenchAccount> {
    const result = await runToCompletion(
      'cli',
      ['create-user', '--username', username, '--roles', roles.join(','), '--password-stdin'],
      { ...env, LOG_LEVEL: 'warn' },
      this.password,
    );
    if (result.code !== 0)
      throw new Error(`create-user failed (${result.code}): ${result.stderr.trim()}`);
    const created = JSON.parse(result.stdout) as { id: string; totpSecret: string };
    return { id: created.id, username, password: this.password, totpSecret: created.totpSecret };
  }
}

/** /api/health on a connection of its own (so the cluster hands it to the next API process). */
function sealedOnNewConnection(baseUrl: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}/api/health`, { agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve(
            (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { sealed: boolean }).sealed,
          );
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    request.on('error', reject);
  });
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
