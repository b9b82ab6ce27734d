import { freePort } from '@mayak/platform/embedded';
import {
  auditReferences,
  custodyKeys,
  OutboxReader,
  recordFinishedJobs,
  readKeystore,
  runApp,
  unsealWithShares,
} from '@mayak/testing';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'pg';
import { AppProcess, sleep, startApi, startWorker, waitFor } from './apps';
import { Books, checkBooks, Window } from './books';
import { Cast, VOLUNTEERS } from './cast';
import { Attempt, VolunteerLoad } from './load';
import { RespondersDesk } from './responders';
import { SentinelSet } from '@mayak/testing';
import { FaultServices } from './services';

/** 50 volunteers, one call each every half second: 100 intakes a second together. */
const INTERVAL_MS = (VOLUNTEERS * 1000) / 100;
/** How long calls still retrying when the load stops get to be accepted. */
const FINISH_MS = 30_000;
/** How long the system gets, after the load, to finish every job and close every climb. */
const DRAIN_MS = 60_000;

export interface Figures extends Books {
  scenario: string;
  /** Seconds, as the scenario defines it (see each one), or undefined. */
  recovery?: number;
  recoveryMeaning?: string;
  /** Seconds from the heal until every job due by then was done. */
  caughtUp?: number;
  drain: number;
  seconds: number;
}

/** What a fault script can do to the running system while the load goes on. */
export class FaultContext {
  readonly windows: Window[] = [];
  recovery?: number;
  recoveryMeaning?: string;
  /** Problems the script itself found (a deadline missed, an exit code). */
  readonly problems: string[] = [];
  /** When the load started: the scenario's clock. */
  t0 = Date.now();
  workers: AppProcess[] = [];
  api!: AppProcess;
  readonly apis: AppProcess[] = [];
  /** See watchJobs. */
  flowing?: number;
  caughtUp?: number;
  watching?: Promise<void>;
  /** Moments a fault script notes for its settle step (when Redis came back, say). */
  readonly marks: Record<string, number> = {};
  /** Every answer the clients got, for scripts that judge recovery from them. */
  attempts: Attempt[] = [];
  /** The scenario's own Redis Sentinels, when it has them (see ScenarioSpec.setup). */
  sentinels?: SentinelSet;
  /** The key holders' shares, once the installation is unsealed with them. */
  shares?: string[];
  private reader?: OutboxReader;
  private apiCount = 0;
  private workerCount = 0;

  constructor(
    readonly name: string,
    readonly services: FaultServices,
    readonly env: Record<string, string>,
    readonly db: Pool,
  ) {}

  /** The outbox's jobs, opened with the keys the shares give. */
  async outbox(): Promise<OutboxReader> {
    if (!this.shares) throw new Error('the installation has not been unsealed');
    this.reader ??= new OutboxReader(
      (await custodyKeys(this.shares, await readKeystore(this.db))).material,
      async (sql, params) => (await this.db.query(sql, params)).rows,
      'outbox_history',
    );
    return this.reader;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }

  /** Waits until this many milliseconds after the load started. */
  async at(ms: number): Promise<void> {
    const wait = this.t0 + ms - Date.now();
    if (wait > 0) await sleep(wait);
  }

  allow(kind: Window['kind'], from: number, to: number): void {
    this.windows.push({ kind, from, to });
  }

  expect(condition: boolean, problem: string): void {
    if (!condition) this.problems.push(problem);
  }

  async startApi(): Promise<AppProcess> {
    this.apiCount += 1;
    this.api = await startApi(`${this.name}-api-${this.apiCount}`, this.env, this.services.logDir);
    this.apis.push(this.api);
    return this.api;
  }

  async startWorker(): Promise<AppProcess> {
    this.workerCount += 1;
    const worker = await startWorker(
      `${this.name}-worker-${this.workerCount}`,
      this.env,
      this.services.logDir,
    );
    this.workers.push(worker);
    return worker;
  }

  /**
   * Watches the jobs after the fault healed, in the background: `flowing`, seconds until the
   * first job finished after `healedAt`; `caughtUp`, seconds until every job due by then was
   * done. Polls PostgreSQL (riding out its absence) for at most 90 s.
   */
  watchJobs(healedAt: number): void {
    const since = new Date(healedAt);
    // The outbox keeps only days (OutboxWriter), so "finished since the heal" is read off the
    // rows: one not finished at the first look after the heal, or written since, is finished
    // (its row deleted: the history recordFinishedJobs keeps).
    let atHeal: { newest: string; open: string[] } | undefined;
    this.watching = (async () => {
      while (Date.now() - healedAt < 90_000) {
        // Caught up: every job due by then (a timer's due time is sealed) is done.
        const rows = await (async () => {
          atHeal ??= (
            await this.db.query(
              `SELECT coalesce(max(id), 0)::text AS newest,
                      coalesce(array_agg(id::text) FILTER (WHERE status <> 'done'), '{}') AS open
                 FROM outbox_history`,
            )
          ).rows[0] as { newest: string; open: string[] };
          const [flowing, due] = await Promise.all([
            this.db.query(
              `SELECT EXISTS (SELECT 1 FROM outbox_history WHERE status = 'done'
                                 AND (id > $1::bigint OR id = ANY($2::bigint[]))) AS flowing`,
              [atHeal.newest, atHeal.open],
            ),
            this.outbox().then((outbox) => outbox.unfinishedDueBy(since)),
          ]);
          return [{ flowing: flowing.rows[0].flowing as boolean, caught_up: due.length === 0 }];
        })().catch(() => [{ flowing: false, caught_up: false }]);
        const seconds = (Date.now() - healedAt) / 1000;
        if (rows[0].flowing) this.flowing ??= seconds;
        if (rows[0].caught_up) this.caughtUp ??= seconds;
        if (this.flowing !== undefined && this.caughtUp !== undefined) return;
        await sleep(200);
      }
      if (this.flowing === undefined) this.problems.push('no job finished within 90 s of the heal');
    })();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.apis, ...this.workers].map((app) => app.stop()));
  }
}

export interface ScenarioSpec {
  name: string;
  /** How long the volunteers keep calling. */
  loadSeconds: number;
  workers?: number;
  /** See BookInputs: where the books may demand one send per row and one delivery per webhook. */
  sentOnce: boolean;
  deliveredOnce: boolean;
  env?: Record<string, string>;
  /** Services of the scenario's own, started before its processes and stopped after. */
  setup?: (services: FaultServices) => Promise<ScenarioSetup>;
  /** Runs beside the load, from its start; must finish within the load's time. */
  fault: (ctx: FaultContext) => Promise<void>;
  /** After the load has stopped (every call answered): judge what the answers say. */
  settle?: (ctx: FaultContext) => void;
}

export interface ScenarioSetup {
  env: Record<string, string>;
  sentinels?: SentinelSet;
  stop(): Promise<void>;
}

/**
 * One scenario, start to finish: a fresh copy of the template database and a queue prefix of
 * its own, the worker(s) and the API as processes, the volunteers calling and the on-call
 * people answering pages, the fault, then the drain and the books.
 */
export async function runScenario(
  spec: ScenarioSpec,
  services: FaultServices,
  cast: Cast,
  desk: RespondersDesk,
): Promise<Figures> {
  const started = Date.now();
  const database = `faults_${spec.name.replace(/[^a-z0-9]/g, '_')}`;
  // The copy keeps the template's grants to the application's role.
  const url = services.appDatabaseUrl(database);
  const superuserUrl = await services.createDatabase(database, cast.template);
  const setup = await spec.setup?.(services);
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    DATABASE_URL: url,
    REDIS_URL: services.redisUrl,
    QUEUE_PREFIX: `f${spec.name.replace(/[^a-z0-9]/g, '')}`.slice(0, 30),
    LOG_LEVEL: 'info',
    WORKER_CONCURRENCY: '8',
    // A lost job is looked for after 5 s rather than 15, to keep each scenario short.
    OUTBOX_SWEEP_AFTER_SECONDS: '5',
    // The responders' desk that receives webhooks listens on this machine.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    ...cast.keys,
    ...spec.env,
    ...setup?.env,
  };
  const db = new Pool({ connectionString: superuserUrl, max: 2 });
  db.on('error', () => undefined); // PostgreSQL restarts under the probe's idle connections
  // A finished job deletes its row; the books count every job's fate, so the history is kept.
  await recordFinishedJobs(async (sql, params) => (await db.query(sql, params)).rows);
  const ctx = new FaultContext(spec.name, services, env, db);
  ctx.sentinels = setup?.sentinels;
  try {
    for (let i = 0; i < (spec.workers ?? 1); i += 1) await ctx.startWorker();
    await ctx.startApi();
    // Every process starts sealed; the workers take the root from the API once it is unsealed.
    await unsealWithShares(ctx.baseUrl, cast.shares);
    ctx.shares = cast.shares;
    await sleep(500);

    const load = new VolunteerLoad(() => ctx.baseUrl, cast.volunteers, INTERVAL_MS);
    desk.begin(cast.onCall, () => ctx.baseUrl, load.attempts);
    ctx.attempts = load.attempts;
    const loadStart = Date.now();
    ctx.t0 = loadStart;
    load.start();
    // This process answers the responders' webhooks: a late answer (over the sender's 5 s) is
    // a delivery the sender must repeat. How late its own event loop ran is printed beside.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    // A fault script that fails (a process that would not start) still lets the load stop.
    let faultError: Error | undefined;
    await spec.fault(ctx).catch((error: unknown) => {
      faultError = error instanceof Error ? error : new Error(String(error));
    });
    await sleep(loadStart + spec.loadSeconds * 1000 - Date.now());
    await load.stop(FINISH_MS);
    lag.disable();
    process.stdout.write(
      `${spec.name}: the test process's event loop ran late by p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, at most ${(lag.max / 1e6).toFixed(0)} ms, over the load; the desk answered webhooks in p99 ${desk.answerMs(99)} ms, at most ${desk.answerMs(100)} ms\n`,
    );
    if (faultError) throw faultError;
    await ctx.watching;
    spec.settle?.(ctx);

    // The drain: every job done and every emergency acknowledged, within a bounded wait.
    const drainStart = Date.now();
    await waitFor(
      'the system to drain',
      async () => {
        const { rows } = await db.query(
          `SELECT (SELECT count(*)::int FROM outbox WHERE status <> 'done') AS jobs,
                  (SELECT count(*)::int FROM cases WHERE service = 'emergency' AND acknowledged_at IS NULL) AS climbing`,
        );
        return rows[0].jobs === 0 && rows[0].climbing === 0;
      },
      { timeoutMs: DRAIN_MS, intervalMs: 250 },
    ).catch((error: Error) => ctx.problems.push(error.message));
    const drain = (Date.now() - drainStart) / 1000;
    await desk.finish(5_000);
    await desk.end();
    // Checked while the processes still run: in sealed custody the command takes the audit
    // chain's key from one of them, as an operator's would.
    const audit = await runApp('cli', ['verify-audit'], { ...env, LOG_LEVEL: 'warn' });
    if (audit.code !== 0)
      ctx.problems.push(`verify-audit failed: ${(audit.stdout + audit.stderr).trim()}`);
    await ctx.stopAll();

    const books = await checkBooks({
      db,
      intakes: load.intakes,
      attempts: load.attempts,
      windows: ctx.windows,
      deliveries: desk.deliveries,
      seen: desk.seen,
      badSignatures: desk.badSignatures,
      sentOnce: spec.sentOnce,
      deliveredOnce: spec.deliveredOnce,
      auditReferences: auditReferences(
        (await custodyKeys(cast.shares, await readKeystore(db))).material,
      ),
      outbox: await ctx.outbox(),
    });
    for (const app of [...ctx.apis, ...ctx.workers]) {
      const errors = app.errorLines();
      if (errors.length > 0)
        ctx.problems.push(`${app.name} logged ${errors.length} errors, first: ${errors[0]}`);
    }
    return {
      scenario: spec.name,
      ...books,
      problems: [...ctx.problems, ...books.problems],
      recovery: ctx.recovery,
      recoveryMeaning: ctx.recoveryMeaning,
      caughtUp: ctx.caughtUp,
      drain,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await desk.end();
    await ctx.stopAll().catch(() => undefined);
    await db.end().catch(() => undefined);
    await setup?.stop().catch(() => undefined);
    if (!process.env.FAULTS_KEEP) await services.dropDatabase(database).catch(() => undefined);
  }
}
