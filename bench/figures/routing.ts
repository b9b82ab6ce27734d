import path from 'node:path';
import { PHYSICAL_QUEUE_OF, producerConnection } from '@mayak/platform';
import { Queue } from 'bullmq';
import { measureNoopWorker, NoopWorkerBaseline } from '../baselines/noop-worker';
import { contactBodies } from '../core/contact-body';
import { failed, Figure, FigureValue, measured, Target, unavailable } from '../core/figure';
import { runLoad } from '../core/http-load';
import {
  casesTableMissing,
  explainingTimeouts,
  INTAKE,
  intakeMissing,
  routingJobMissing,
  staffOnShift,
} from '../core/mayak';
import { medianBy, round } from '../core/percentiles';
import { WaitSampler } from '../core/pg-waits';
import { cpuMeter } from '../core/cpu';
import { waitUntil } from '../core/apps';
import { BENCH_SQL, StatementCounter } from '../core/statements';
import { RunningStack } from '../core/stack';

/** Issue 14.2: at least a quarter of the no-op worker's jobs/s, measured in the same run. */
const THROUGHPUT: Target[] = [{ op: '>=', value: 0.25, of: 'ratio' }];

/**
 * Routing: with the worker stopped, volunteers raise N legal cases through the intake route
 * (N outbox rows wait in PostgreSQL); then the worker starts at its configured concurrency
 * and relays and routes them. Throughput = cases assigned per second between the first and
 * the last assignment. The baseline is a no-op BullMQ worker draining N jobs on the same Redis.
 * A full run repeats the pair (`sizes.trials`: the baseline, then the cases raised and routed
 * again with the worker stopped and started) and reports the trial with the median ratio.
 */
export const routingFigure: Figure = {
  id: 'routing',
  title: 'cases/s from outbox to assigned, beside a no-op BullMQ worker',
  names: [{ name: 'routing.throughput', unit: 'cases/s', targets: THROUGHPUT }],
  async run(ctx) {
    const cases = ctx.options.sizes.routingCases;
    const trials = ctx.options.sizes.trials;
    const noop = async () => {
      ctx.log(
        `  baseline: no-op worker draining ${cases} jobs at concurrency ${ctx.workerConcurrency}`,
      );
      return measureNoopWorker(ctx.services, {
        jobs: cases,
        concurrency: ctx.workerConcurrency,
      });
    };
    const baselineFigure = (baseline: NoopWorkerBaseline, note = '') =>
      measured('baseline.noop_worker.throughput', round(baseline.jobsPerSecond), 'jobs/s', {
        note: `${baseline.jobs} jobs, concurrency ${baseline.concurrency}${note}`,
      });
    const first = await noop();
    const notYet = (why: string) => [
      unavailable('routing.throughput', 'cases/s', why, {
        baseline: round(first.jobsPerSecond),
        targets: THROUGHPUT,
      }),
      baselineFigure(first),
    ];
    const noJob = routingJobMissing();
    if (noJob) return notYet(noJob);

    const stack = await ctx.stack.launch('routing', { api: true, worker: true });
    try {
      return await measureTrials();
    } catch (error) {
      // The baseline was measured: keep it beside the failure.
      return [failed('routing.throughput', 'cases/s', error, THROUGHPUT), baselineFigure(first)];
    } finally {
      await stack.stop();
    }

    async function measureTrials(): Promise<FigureValue[]> {
      const accounts = await ctx.stack.accounts();
      const tokens = await Promise.all(accounts.volunteers.map((v) => stack.signIn(v)));
      const { bodies } = contactBodies(1_000);
      const why =
        (await intakeMissing(stack, tokens[0], bodies)) ??
        (await casesTableMissing(stack)) ??
        (await staffOnShift(
          stack,
          accounts.lawyers,
          Math.ceil((cases + 10) / accounts.lawyers.length) + 1,
        ));
      if (why) return notYet(why);

      // A worker's first start on a queue prefix runs every maintenance schedule at once
      // (restamping every row, chaining the audit trail, the rollups): hourly work, not routing.
      // It runs now, on the template's rows, and the worker stops before the cases are raised;
      // started again, it finds its schedules in Redis and keeps their timing.
      ctx.log('  first start of the worker: waiting for its maintenance to finish');
      const settled = await maintenanceSettled(stack);
      await stack.stopWorkers();
      ctx.log(`  maintenance done in ${round(settled, 1)} s; worker stopped`);

      // Trials interleaved with their baselines: each ratio is taken against the no-op worker
      // measured just before it, on the machine as it was then.
      // Each trial starts from the colleagues' load the first started from (their open cases
      // as counted then), so that every trial routes onto the same free capacity.
      const load = (
        await stack.db.query<{ user_id: string; open_cases: number }>(
          `SELECT user_id::text, open_cases FROM staff_availability`,
        )
      ).rows;
      const runs: Trial[] = [];
      for (let i = 0; i < trials; i++) {
        if (i > 0)
          await stack.db.query(
            `UPDATE staff_availability s SET open_cases = v.n
               FROM unnest($1::uuid[], $2::int[]) AS v (user_id, n) WHERE s.user_id = v.user_id`,
            [load.map((r) => r.user_id), load.map((r) => r.open_cases)],
          );
        const baseline = i === 0 ? first : await noop();
        if (trials > 1) ctx.log(`  trial ${i + 1} of ${trials}`);
        runs.push({ baseline, ...(await routeOnce(tokens, bodies, i === trials - 1)) });
        if (i < trials - 1) await stack.stopWorkers();
      }
      const ratio = (t: Trial) => t.rate / t.baseline.jobsPerSecond;
      const chosen = medianBy(runs, ratio);
      const all =
        trials > 1
          ? `; the median of ${trials} trials, each against the no-op worker measured just before it: ${runs
              .map(
                (t) =>
                  `${round(t.rate)} ÷ ${round(t.baseline.jobsPerSecond)} (${Math.round(ratio(t) * 100)}%)`,
              )
              .join(', ')}; CPU per case over every trial`
          : '';
      const totalCases = runs.reduce((sum, t) => sum + t.total, 0);
      const used = new Map<string, number>();
      for (const t of runs)
        for (const [name, seconds] of Object.entries(t.used))
          used.set(name, (used.get(name) ?? 0) + seconds);
      return [
        measured('routing.throughput', round(chosen.rate), 'cases/s', {
          baseline: round(chosen.baseline.jobsPerSecond),
          targets: THROUGHPUT,
          note: `${chosen.note}${all}`,
        }),
        ...[...used]
          .filter(([name]) => name !== 'api')
          .map(([name, seconds]) =>
            measured(`routing.cpu_per_case.${name}`, round((seconds * 1000) / totalCases), 'ms', {
              note: `CPU time of the ${name} process${name === 'postgres' ? 'es' : ''} while routing ÷ cases`,
            }),
          ),
        baselineFigure(
          chosen.baseline,
          trials > 1
            ? `; the median trial's (all: ${runs.map((t) => round(t.baseline.jobsPerSecond)).join(', ')} jobs/s)`
            : '',
        ),
      ];
    }

    /**
     * With the worker stopped, raises N cases; starts the worker and times their routing.
     * `last`: with --profile, the statements of this trial are counted and ranked.
     */
    async function routeOnce(
      tokens: string[],
      bodies: readonly string[],
      last: boolean,
    ): Promise<Omit<Trial, 'baseline'>> {
      // Cases routed before (the checks above, the first start, earlier trials): not counted.
      const earlier = (
        await stack.db.query<{ id: string }>(`SELECT id::text AS id FROM cases`)
      ).rows.map((r) => r.id);

      ctx.log(`  raising ${cases} legal cases with the worker stopped`);
      const load = await runLoad({
        baseUrl: stack.http.baseUrl,
        method: INTAKE.method,
        path: INTAKE.path,
        connections: 20,
        amount: cases,
        bodies,
        tokens,
      });
      if (load.ok !== cases)
        throw new Error(
          `only ${load.ok} of ${cases} intakes succeeded (${JSON.stringify(load.statusCounts)})`,
        );
      const count = async (where: string) =>
        Number(
          (
            await stack.db.query<{ n: string }>(
              `SELECT ${BENCH_SQL} count(*) AS n FROM cases WHERE id <> ALL($1::uuid[]) ${where}`,
              [earlier],
            )
          ).rows[0].n,
        );
      const total = await count('');
      // Counted without the array of earlier cases (tens of thousands of ids in later trials):
      // every case assigned now stays so.
      const assignedNow = async () =>
        Number(
          (
            await stack.db.query<{ n: string }>(
              `SELECT ${BENCH_SQL} count(*) AS n FROM cases WHERE status = 'assigned' AND assigned_at IS NOT NULL`,
            )
          ).rows[0].n,
        );
      const assignedBefore = await assignedNow();
      // The window's poll, five times a second, asks Redis and the outbox's pending index first
      // whether anything is left to do, and counts cases only when nothing is: a count reads
      // every assigned case of every trial (1,900 buffers and 9 ms of PostgreSQL's CPU each,
      // --profile 2026-12-07), which took CPU from the routing it measures, more in each trial.
      const caseQueue = new Queue(PHYSICAL_QUEUE_OF.routing, {
        connection: producerConnection(stack.env.REDIS_URL),
        prefix: stack.env.QUEUE_PREFIX,
      });
      const nothingLeft = async () => {
        const jobs = await caseQueue.getJobCounts('waiting', 'active', 'prioritized');
        if (jobs.waiting + jobs.active + jobs.prioritized > 0) return false;
        const pending = await stack.db.query(
          `SELECT ${BENCH_SQL} 1 FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1`,
        );
        return pending.rows.length === 0;
      };
      // The worker starts with fresh connections; its plans are made on what ANALYZE says of
      // the tables now (the cases just raised), as in a database in service, not on the
      // template's near-empty statistics (bench/README.md, "The first window's excess").
      await stack.db.query('ANALYZE');

      // With --profile: the statements each case costs the worker (relay, routing, the ends of its jobs).
      const statements =
        last && ctx.services.statements && stack.profileDir
          ? new StatementCounter(stack.db, stack.database.name)
          : undefined;
      await statements?.reset();
      ctx.log(`  starting the worker; routing ${total} cases`);
      await stack.startWorker();
      const cpu = await cpuMeter(ctx.services, stack);
      await cpu.start();
      const waits = new WaitSampler(stack.db, stack.database.name);
      waits.start();
      const t0 = performance.now();
      try {
        await explainingTimeouts(stack, waits, () =>
          waitUntil(
            `all ${total} cases to be assigned`,
            async () =>
              (await nothingLeft()) &&
              (await assignedNow()) >= assignedBefore + total &&
              (await count(`AND status = 'assigned' AND assigned_at IS NOT NULL`)) === total,
            { timeoutMs: 30_000 + total * 10, intervalMs: 200, process: stack.worker },
          ),
        );
      } finally {
        await caseQueue.close();
      }
      const elapsed = (performance.now() - t0) / 1000;
      const used = await cpu.stop();
      const waiting = waits.stop();
      const perCase = statements
        ? await statements.report(total, path.join(stack.profileDir!, 'routing-statements.txt'))
        : undefined;
      // assigned_at holds the day; the exact moments are sealed beside it (ExactTimes).
      const times = await stack.exactTimes();
      const assigned = (
        await stack.db.query<{ id: string; day: Date; sealed: Buffer | null }>(
          `SELECT id::text AS id, assigned_at AS day, assigned_enc AS sealed FROM cases
            WHERE id <> ALL($1::uuid[])`,
          [earlier],
        )
      ).rows.map((r) =>
        times.open({ table: 'cases', id: r.id, column: 'assigned_at' }, r.sealed, r.day).getTime(),
      );
      const seconds = (Math.max(...assigned) - Math.min(...assigned)) / 1000;
      const rate = (total - 1) / seconds;
      ctx.log(`  ${round(rate)} cases/s`);
      return {
        rate,
        total,
        used,
        note: `${total} cases, first to last assignment in ${round(seconds)} s, worker concurrency ${ctx.workerConcurrency}; CPU used (cores): ${Object.entries(
          used,
        )
          .map(([name, sec]) => `${name} ${round(sec / elapsed, 2)}`)
          .join(
            ', ',
          )}; database sessions on average: ${waiting}${perCase === undefined ? '' : `; ${perCase.toFixed(1)} SQL statements per case (ranked in routing-statements.txt beside the profiles)`}`,
      };
    }
  },
};

/** One routing window and the no-op worker measured just before it. */
interface Trial {
  baseline: NoopWorkerBaseline;
  /** Cases a second, first to last assignment. */
  rate: number;
  total: number;
  /** CPU seconds by process over the window. */
  used: Record<string, number>;
  note: string;
}

/**
 * Waits until the worker's first-start maintenance is over: every schedule's job has run (each
 * has only its next run waiting, delayed), the outbox has nothing waiting to be sent, and the
 * audit trail is chained; held for a second, so that a job one finished does not hide the
 * next. Returns the seconds it took.
 */
async function maintenanceSettled(stack: RunningStack): Promise<number> {
  const queue = new Queue('maintenance', {
    connection: producerConnection(stack.env.REDIS_URL),
    prefix: stack.env.QUEUE_PREFIX,
  });
  const t0 = performance.now();
  let idleSince: number | undefined;
  try {
    await waitUntil(
      "the worker's first-start maintenance to finish",
      async () => {
        const [schedules, counts, db] = await Promise.all([
          queue.getJobSchedulersCount(),
          queue.getJobCounts('delayed', 'waiting', 'active', 'prioritized'),
          stack.db.query<{ outbox: string; unchained: string }>(
            `SELECT (SELECT count(*) FROM outbox WHERE status = 'pending') AS outbox,
                    (SELECT count(*) FROM audit_unlinked) AS unchained`,
          ),
        ]);
        const idle =
          schedules > 0 &&
          counts.delayed >= schedules &&
          counts.waiting + counts.active + counts.prioritized === 0 &&
          Number(db.rows[0].outbox) === 0 &&
          Number(db.rows[0].unchained) === 0;
        if (!idle) idleSince = undefined;
        else idleSince ??= performance.now();
        return idleSince !== undefined && performance.now() - idleSince >= 1_000;
      },
      { timeoutMs: 120_000, intervalMs: 100, process: stack.worker },
    );
  } finally {
    await queue.close();
  }
  return (performance.now() - t0) / 1000;
}
