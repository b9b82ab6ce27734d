import { AppProcess, sleep, waitFor } from './support/apps';
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
    // Two workers; the one leading hangs (SIGSTOP: its lock's connection stays open, so it
    // still leads) for 10 s under load. The other stood by for case jobs (Standby): it must
    // see them waiting and take them, and the jobs the hung one held come back to it.
    name: 'worker-leader-hangs',
    loadSeconds: 30,
    workers: 2,
    // What the hung leader had taken runs again elsewhere once its lock lapses, and may run
    // once more when it wakes: a row may be sent twice and a webhook delivered twice (each
    // handler checks state first), never a case routed or paged twice.
    sentOnce: false,
    deliveredOnce: false,
    async fault(ctx) {
      await ctx.at(8_000);
      const leads = (w: AppProcess) =>
        w.logged('this worker leads the background rounds').length >
        w.logged('this worker no longer leads').length;
      const leaders = ctx.workers.filter(leads);
      ctx.expect(leaders.length === 1, `${leaders.length} workers lead, not 1`);
      const [leader] = leaders;
      const other = ctx.workers.find((w) => w !== leader)!;
      // Case jobs went to the leader alone before the fault.
      const joined = (after: number) =>
        other.logged('the leader is behind; taking jobs too').find((l) => l.at >= after);
      ctx.expect(
        joined(0) === undefined,
        'the worker that does not lead took case jobs while the leader kept up',
      );
      const hungAt = Date.now();
      leader.kill('SIGSTOP');
      ctx.watchJobs(hungAt);
      try {
        await waitFor(
          'the other worker to take case jobs',
          async () => joined(hungAt) !== undefined,
          {
            timeoutMs: 10_000,
            intervalMs: 100,
          },
        );
        await sleep(hungAt + 10_000 - Date.now());
      } finally {
        leader.kill('SIGCONT');
      }
      ctx.marks.joinedAfter = joined(hungAt)!.at - hungAt;
      ctx.recovery = ctx.marks.joinedAfter / 1000;
      ctx.recoveryMeaning = 'from the leader’s hang until the other worker took case jobs (≤ 3 s)';
    },
    settle(ctx) {
      ctx.expect(
        ctx.recovery !== undefined && ctx.recovery <= 3,
        `the other worker took case jobs ${ctx.recovery ?? '—'} s after the leader hung (at most 3 s)`,
      );
      ctx.expect(
        ctx.caughtUp !== undefined && ctx.caughtUp <= 30,
        `every job due at the hang was done ${ctx.caughtUp ?? '—'} s after it (at most 30 s)`,
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
      // Nothing breaks: two workers side by side (one leads, relaying and taking the case
      // jobs while it keeps up; both take maintenance jobs), and nothing runs twice.
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
