import { sleep, waitFor } from './support/apps';
import { Cast, prepareCast } from './support/cast';
import { figuresTable } from './support/report';
import { RespondersDesk } from './support/responders';
import { Figures, runScenario, ScenarioSpec } from './support/scenario';

import { SentinelSet } from '@mayak/testing';
import { FaultServices } from './support/services';

/**
 * The fault suite (`npm run test:faults`): Mayak's processes, a private PostgreSQL and a
 * private Redis, under 100 intakes a second from 50 volunteers while something breaks; then
 * the books. Each scenario's figures are printed as it finishes, and all of them at the end.
 */
const SCENARIO_TIMEOUT_MS = 240_000;

const scenarios: ScenarioSpec[] = [
  {
    name: 'worker-sigkill',
    loadSeconds: 25,
    sentOnce: false,
    deliveredOnce: false,
    async fault(ctx) {
      await ctx.at(8_000);
      const [worker] = ctx.workers;
      worker.kill('SIGKILL');
      await worker.exit;
      await sleep(5_000);
      const restartedAt = Date.now();
      await ctx.startWorker();
      ctx.watchJobs(restartedAt);
      ctx.recoveryMeaning = 'from the restart until the new worker finished a job';
    },
    settle(ctx) {
      ctx.recovery = ctx.flowing;
    },
  },
  {
    name: 'redis-stopped',
    loadSeconds: 30,
    sentOnce: true,
    deliveredOnce: true,
    async fault(ctx) {
      await ctx.at(8_000);
      await ctx.services.stopRedis();
      await sleep(10_000);
      await ctx.services.startRedis();
      // Intake answers 201 from PostgreSQL throughout: no window for anything else.
      ctx.watchJobs(Date.now());
      ctx.recoveryMeaning = 'from Redis’s return until jobs flowed again (≤ 30 s)';
    },
    settle(ctx) {
      ctx.recovery = ctx.flowing;
      ctx.expect(
        ctx.flowing !== undefined && ctx.flowing <= 30,
        `jobs flowed again ${ctx.flowing ?? '—'} s after Redis returned (at most 30 s)`,
      );
    },
  },
  {
    name: 'redis-flushall',
    loadSeconds: 25,
    sentOnce: false,
    deliveredOnce: true,
    async fault(ctx) {
      await ctx.at(10_000);
      await ctx.services.flushRedis();
      ctx.watchJobs(Date.now());
      ctx.recoveryMeaning =
        'from FLUSHALL until every job not yet done had been sent again and done (≤ 30 s)';
    },
    settle(ctx) {
      ctx.recovery = ctx.caughtUp;
      ctx.expect(
        ctx.caughtUp !== undefined && ctx.caughtUp <= 30,
        `the jobs Redis lost were done ${ctx.caughtUp ?? '—'} s after FLUSHALL (at most 30 s)`,
      );
    },
  },
  {
    name: 'postgres-restart',
    loadSeconds: 30,
    sentOnce: false,
    deliveredOnce: false,
    async fault(ctx) {
      await ctx.at(8_000);
      const stoppedAt = Date.now();
      // As after a crash: no shutdown checkpoint, recovery from the WAL on start. (A crash
      // also loses the worker's last deferred commits, which the outbox must redo.)
      await ctx.services.stopPostgres('immediate');
      await sleep(5_000);
      await ctx.services.startPostgres();
      const backAt = Date.now();
      // 503s while it is down and for at most 10 s after its return; never a 500.
      ctx.allow('503', stoppedAt, backAt + 10_000);
      ctx.marks.backAt = backAt;
      ctx.watchJobs(backAt);
      ctx.recoveryMeaning = 'from PostgreSQL’s return until the last 503 (≤ 10 s)';
    },
    settle(ctx) {
      const { backAt } = ctx.marks;
      const last = Math.max(
        backAt,
        ...ctx.attempts
          .filter((a) => a.status !== 201 && a.what === 'intake')
          .map((a) => a.endedAt),
      );
      ctx.recovery = (last - backAt) / 1000;
    },
  },
  {
    name: 'api-sigterm',
    loadSeconds: 25,
    sentOnce: true,
    deliveredOnce: true,
    async fault(ctx) {
      await ctx.at(8_000);
      const old = ctx.api;
      const termAt = Date.now();
      old.kill('SIGTERM');
      const exit = await old.exit;
      ctx.expect(exit.code === 0, `the API exited with ${exit.code ?? exit.signal}, not 0`);
      ctx.expect(
        exit.at - termAt <= 10_000,
        `the API took ${exit.at - termAt} ms to exit after SIGTERM`,
      );
      // Restarted as an orchestrator would; until it is ready, refusals and no answers are
      // expected. Ready means unsealed: a new process answers 503 "sealed" until a peer (the
      // worker) has handed it the keys, within milliseconds.
      const api = await ctx.startApi();
      await waitFor(
        'the new API to take the keys from a peer',
        async () =>
          ((await (await fetch(`${ctx.baseUrl}/api/health`)).json()) as { sealed: boolean })
            .sealed === false,
        { timeoutMs: 10_000, intervalMs: 5, process: api },
      );
      const readyAt = Date.now();
      ctx.allow('503', termAt, readyAt);
      ctx.allow('no-answer', termAt, readyAt);
      Object.assign(ctx.marks, { termAt, exitAt: exit.at });
      ctx.recovery = (exit.at - termAt) / 1000;
      ctx.recoveryMeaning = 'from SIGTERM until the API had exited (≤ 10 s, exit code 0)';
    },
    settle(ctx) {
      const { termAt, exitAt } = ctx.marks;
      // In flight: sent a moment before the signal (the server had it). They finish.
      const inFlight = ctx.attempts.filter((a) => a.startedAt < termAt - 250);
      const cut = inFlight.filter((a) => a.status === 0 && a.endedAt >= termAt);
      ctx.expect(
        cut.length === 0,
        `${cut.length} requests in flight at SIGTERM got no answer: ${JSON.stringify(cut.slice(0, 3))}`,
      );
      // New: sent after the signal, to the process on its way out. Refused.
      const accepted = ctx.attempts.filter(
        (a) =>
          a.startedAt > termAt + 250 && a.endedAt < exitAt && a.status >= 200 && a.status < 300,
      );
      ctx.expect(
        accepted.length === 0,
        `${accepted.length} requests sent after SIGTERM were accepted by the stopping API`,
      );
    },
  },
  {
    // Issue 14, point 5: two API processes and two workers on Redis through Sentinel (a
    // primary, a replica, three Sentinels); the primary dies under load.
    name: 'redis-sentinel-failover',
    loadSeconds: 30,
    workers: 2,
    // A job the primary had taken but not yet copied to the replica is lost with it, and
    // the outbox sends it again: a row may be sent twice, never done twice.
    sentOnce: false,
    deliveredOnce: true,
    env: { API_PROCESSES: '2' },
    async setup(services) {
      const sentinels = await SentinelSet.start(services.workDir);
      return { env: sentinels.env, sentinels, stop: () => sentinels.stop() };
    },
    async fault(ctx) {
      await ctx.at(8_000);
      const killedAt = Date.now();
      ctx.sentinels!.killPrimary();
      const promotion = await ctx.sentinels!.promoted(killedAt);
      ctx.marks.promotion = promotion;
      ctx.watchJobs(killedAt);
      ctx.recoveryMeaning =
        'from the primary’s death until jobs flowed again through the promoted replica (≤ 30 s)';
    },
    settle(ctx) {
      ctx.recovery = ctx.flowing;
      process.stdout.write(
        `redis-sentinel-failover: replica promoted ${(ctx.marks.promotion / 1000).toFixed(1)} s after the primary died; jobs flowed again after ${ctx.flowing ?? '—'} s\n`,
      );
      ctx.expect(
        ctx.flowing !== undefined && ctx.flowing <= 30,
        `jobs flowed again ${ctx.flowing ?? '—'} s after the primary died (at most 30 s)`,
      );
    },
  },
  {
    name: 'two-workers',
    loadSeconds: 20,
    workers: 2,
    sentOnce: true,
    deliveredOnce: true,
    async fault() {
      // Nothing breaks: two workers relay and process side by side, and nothing runs twice.
    },
  },
];

describe('the fault suite', () => {
  let services: FaultServices;
  let desk: RespondersDesk;
  let cast: Cast;
  const figures: Figures[] = [];

  beforeAll(async () => {
    services = await FaultServices.start();
    desk = new RespondersDesk();
    const deskPort = await desk.listen();
    cast = await prepareCast(services, deskPort);
  }, 300_000);

  afterAll(async () => {
    if (figures.length > 0)
      process.stdout.write(`\nFault suite figures\n${figuresTable(figures)}\n\n`);
    await desk?.close();
    await services?.stop();
  }, 60_000);

  for (const spec of scenarios)
    it(
      `${spec.name}: nothing lost, nothing twice`,
      async () => {
        const result = await runScenario(spec, services, cast, desk);
        figures.push(result);
        process.stdout.write(`\n${figuresTable([result])}\n`);
        expect(result.problems).toEqual([]);
        expect(result.lost).toBe(0);
        expect(result.duplicates).toBe(0);
      },
      SCENARIO_TIMEOUT_MS,
    );
});
