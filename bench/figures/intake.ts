import path from 'node:path';
import { measurePgInsert } from '../baselines/pg-insert';
import { waitUntil } from '../core/apps';
import { contactBodies } from '../core/contact-body';
import { BenchContext } from '../core/context';
import { Figure, FigureValue, measured, Target, unavailable } from '../core/figure';
import { LoadResult, LoadSpec, OpenLoadResult, runLoad, runOpenLoad } from '../core/http-load';
import { INTAKE, intakeMissing } from '../core/mayak';
import { cpuMeter, MachineMeter, processTreeCpuSeconds } from '../core/cpu';
import { distribution, medianBy, round } from '../core/percentiles';
import { PgProcessMeter } from '../core/pg-processes';
import { WaitSampler } from '../core/pg-waits';
import { seedContacts } from '../core/seed';
import { RunningStack } from '../core/stack';
import { BENCH_SQL, StatementCounter } from '../core/statements';
import { WalInspector } from '../core/wal';

const THROUGHPUT: Target[] = [
  { op: '>=', value: 2_000 },
  { op: '>=', value: 0.2, of: 'ratio' },
];
const P99: Target[] = [{ op: '<=', value: 50 }];
/** Issue 14.2: API, worker and PostgreSQL together, per contact. */
const CPU_PER_CONTACT: Target[] = [{ op: '<=', value: 1.5 }];
const ERRORS: Target[] = [{ op: '<=', value: 0 }];
const RSS: Target[] = [{ op: '<=', value: 300 }];
/** A caller with a long history costs what a new one does, within a tenth. */
const REPEAT_CALLER: Target[] = [{ op: '>=', value: 0.9, of: 'ratio' }];
/** More processes on the same cores: no gain expected, no loss beyond a tenth. */
const PROCESSES: Target[] = [{ op: '>=', value: 0.9, of: 'ratio' }];
const MB = 1024 * 1024;
/** Requests each API process answers in the warm-up at least, however long that takes. */
const WARM_REQUESTS_PER_PROCESS = 1_000;
/** How long the idle CPU of the processes is sampled before a saturation run. */
const IDLE_SECONDS = 2;
/** The one caller of intake.repeat_caller (synthetic, like every number the bench sends). */
const REPEAT_CALLER_NUMBER = '+79120000001';

/**
 * Intake: signed-in volunteers post realistic contacts (consent, a legal case, a summary and
 * a phone number to encrypt and hash) through the real API, database and outbox, with the
 * worker relaying and routing behind it. The baseline is plain INSERTs of a row of the same
 * size on the same server.
 *
 * On one stack, in turn:
 * 1. saturation: 50 keep-alive connections, each sending as soon as its last answer came
 *    (closed loop): the throughput, and the latency of a queue kept full (`intake.saturation.*`,
 *    which measures queueing, not latency). Peak RSS of both processes is taken over it.
 * 2. latency: once the worker has caught up, intakes at a fixed rate, open loop
 *    (`intake.p50`, `intake.p99`, from each request's scheduled send).
 * 3. repeat caller: the seed command gives one caller 50,000 contacts (recognised as intake
 *    recognises them: their sealed counter and tags are real), then the saturation load again
 *    with that caller on every request (`intake.repeat_caller.throughput`, against 1.).
 * With --processes N, then, a fresh stack of N API processes and N workers runs the
 * saturation load again (`intake.throughput.processes_N`, against 1.).
 *
 * With --intake-route the same load goes to another route, to exercise this runner before
 * the intake route exists; those figures are named probe.* and judged against nothing.
 */
export const intakeFigure: Figure = {
  id: 'intake',
  title: 'POST /api/contacts: saturation, open-loop latency, a repeat caller, beside pg INSERTs',
  names: [
    { name: 'intake.throughput', unit: 'contacts/s', targets: THROUGHPUT },
    { name: 'intake.saturation.p50', unit: 'ms' },
    { name: 'intake.saturation.p99', unit: 'ms' },
    { name: 'intake.p50', unit: 'ms' },
    { name: 'intake.p99', unit: 'ms', targets: P99 },
    { name: 'intake.errors', unit: 'errors', targets: ERRORS },
    { name: 'intake.repeat_caller.throughput', unit: 'contacts/s', targets: REPEAT_CALLER },
    { name: 'memory.api.rss', unit: 'MB', targets: RSS },
    { name: 'memory.worker.rss', unit: 'MB', targets: RSS },
  ],
  async run(ctx) {
    const sizes = ctx.options.sizes;
    const probe = ctx.options.intakeRoute;
    const route = probe ?? INTAKE;
    const { bodies, averageBytes } = contactBodies(1_000);
    const stack = await ctx.stack.launch('intake', { api: true, worker: true });
    let rowBytes = averageBytes;
    let rowSource = 'request body size (no contacts table yet)';
    let outcome: { values: (baseline: number) => FigureValue[] } | { missing: string };
    try {
      const accounts = await ctx.stack.accounts();
      const tokens = await Promise.all(accounts.volunteers.map((v) => stack.signIn(v)));
      const missing = probe ? undefined : await intakeMissing(stack, tokens[0], bodies);
      if (missing) {
        outcome = { missing };
      } else {
        const load: LoadSpec = {
          baseUrl: stack.http.baseUrl,
          method: route.method,
          path: route.path,
          connections: sizes.intakeConnections,
          bodies: route.method === 'GET' ? undefined : bodies,
          tokens,
        };
        const api = stack.api!;
        const worker = stack.worker!;
        const peaks = async () => (await api.beginPeakWindow()) && (await worker.beginPeakWindow());
        const prefix = probe ? 'probe' : 'intake';
        const saturation = await measureSaturation(ctx, stack, load, {
          peaks,
          statementsFile: `${prefix}-statements.txt`,
        });
        const apiPeak = await api.endPeakWindow();
        const workerPeak = await worker.endPeakWindow();
        const contactRow = await stack.db
          .query<{ size: string | null }>(
            'SELECT round(avg(pg_column_size(c.*))) AS size FROM contacts c',
          )
          .then((r) => r.rows[0].size)
          .catch(() => null); // no contacts table (the probe)
        if (contactRow) {
          rowBytes = Number(contactRow);
          rowSource = 'average contacts row';
        }
        const open = await measureOpenLoop(ctx, stack, load);
        const repeat = probe ? undefined : await measureRepeatCaller(ctx, stack, load);
        const result = saturation.result;
        const errors = result.non2xx + result.errors + open.result.non2xx + open.result.errors;
        const memoryNote = `peak RSS over the measured saturation window${saturation.peaksReset ? '' : ' (the kernel refused to reset VmHWM: includes start-up)'}`;
        const memory = probe ? 'probe.memory' : 'memory';
        outcome = {
          values: (baseline) => [
            measured(
              `${prefix}.throughput`,
              round(result.throughput),
              probe ? 'req/s' : 'contacts/s',
              {
                baseline: round(baseline),
                targets: probe ? [] : THROUGHPUT,
                note: saturation.note,
              },
            ),
            measured(`${prefix}.saturation.p50`, round(result.latency.p50), 'ms', {
              note: `closed loop at saturation: queueing under a full queue, not latency (see ${prefix}.p50); ${saturation.note}`,
            }),
            measured(`${prefix}.saturation.p99`, round(result.latency.p99), 'ms', {
              note: `closed loop at saturation: queueing under a full queue, not latency (see ${prefix}.p99); ${saturation.note}`,
            }),
            {
              ...measured(`${prefix}.p50`, round(open.result.latency.p50), 'ms', {
                note: open.note,
              }),
              warning: open.warning,
            },
            {
              ...measured(`${prefix}.p99`, round(open.result.latency.p99), 'ms', {
                targets: probe ? [] : P99,
                note: open.note,
              }),
              warning: open.warning,
            },
            measured(`${prefix}.errors`, errors, 'errors', {
              targets: probe ? [] : ERRORS,
              note: `saturation: ${result.non2xx} non-2xx, ${result.errors} socket errors (${result.timeouts} timeouts); open loop: ${open.result.non2xx} non-2xx, ${open.result.errors} socket errors (${open.result.timeouts} timeouts)`,
            }),
            // CPU time per answer barely moves with the machine's load, unlike throughput.
            ...cpuFigures(
              `${prefix}.cpu_per_${probe ? 'request' : 'contact'}`,
              saturation,
              probe ? [] : CPU_PER_CONTACT,
            ),
            measured(`${memory}.api.rss`, round(apiPeak / MB), 'MB', {
              targets: probe ? [] : RSS,
              note: memoryNote,
            }),
            measured(`${memory}.worker.rss`, round(workerPeak / MB), 'MB', {
              targets: probe ? [] : RSS,
              note: memoryNote,
            }),
            ...(repeat
              ? [
                  measured(
                    'intake.repeat_caller.throughput',
                    round(repeat.saturation.result.throughput),
                    'contacts/s',
                    {
                      // The same run's intake.throughput: a long history must not slow intake.
                      baseline: round(result.throughput),
                      targets: REPEAT_CALLER,
                      note: repeat.note,
                    },
                  ),
                  ...cpuFigures('intake.repeat_caller.cpu_per_contact', repeat.saturation),
                ]
              : []),
          ],
        };
      }
    } finally {
      await stack.stop();
    }
    const scaled =
      'values' in outcome && !probe && ctx.options.processes > 1
        ? await measureProcesses(ctx, ctx.options.processes, bodies)
        : undefined;
    // The baseline runs alone, after Mayak has stopped, on the same server.
    const baseline = await pgBaseline(ctx, rowBytes, rowSource);
    if ('values' in outcome) {
      const values = outcome.values(baseline.rowsPerSecond);
      const single = values.find((v) => v.name === 'intake.throughput')?.value ?? null;
      return [...values, ...(scaled ? scaled(single) : []), ...baseline.figures];
    }
    const why = outcome.missing;
    return [
      ...this.names.map((n) =>
        unavailable(n.name, n.unit, why, {
          baseline: n.name === 'intake.throughput' ? round(baseline.rowsPerSecond) : null,
          targets: n.targets,
        }),
      ),
      ...baseline.figures,
    ];
  },
};

interface Saturation {
  result: LoadResult;
  /** CPU seconds by source (api, worker, postgres) over the window. */
  used: Record<string, number>;
  peaksReset: boolean;
  note: string;
}

/**
 * The closed-loop load at saturation, after a warm-up: every connection sends again as soon
 * as it is answered. What the API, the workers and PostgreSQL used meanwhile, and what the
 * database's sessions waited on.
 */
async function measureSaturation(
  ctx: BenchContext,
  stack: RunningStack,
  load: LoadSpec,
  options: {
    peaks?: () => Promise<boolean>;
    statementsFile?: string;
    label?: string;
    /** Requests the warm-up sends at least, in all (default: so many per API process). */
    warmRequests?: number;
  } = {},
): Promise<Saturation> {
  const sizes = ctx.options.sizes;
  ctx.log(
    `  ${options.label ?? 'saturation'}: warm-up ${sizes.warmupSeconds} s (at least ${WARM_REQUESTS_PER_PROCESS} requests per API process), then ${sizes.intakeSeconds} s measured, ${load.connections} connections`,
  );
  // What the processes use with nothing to do (pollers, timers): spread over fewer contacts,
  // it weighs more per contact; with more processes, there is more of it.
  const idleMeter = await cpuMeter(ctx.services, stack);
  await idleMeter.start();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const idle = Object.entries(await idleMeter.stop())
    .map(([name, s]) => `${name} ${round(s / IDLE_SECONDS, 2)}`)
    .join(', ');
  // Warm until each API process has answered enough requests for V8 to have optimised the
  // path: fresh processes sharing a slow machine's warm-up would be measured half cold.
  const processes = Number(stack.env.API_PROCESSES ?? 1);
  const warm = await runLoad({ ...load, durationSeconds: sizes.warmupSeconds });
  const short = (options.warmRequests ?? WARM_REQUESTS_PER_PROCESS * processes) - warm.ok;
  // autocannon refuses fewer requests than connections: a warm-up a few short sends that many.
  if (short > 0) await runLoad({ ...load, amount: Math.max(short, load.connections) });
  // A fresh copy of the template starts with the statistics of empty tables, and its cached
  // plans keep them until autovacuum first analyses it, which may be before, during or after
  // the window depending on when its launcher comes by: the window would measure that luck.
  // Analysed now, after the warm-up, every window plans for the tables it writes.
  const analysed = await stack.db.query<{ done: string; tables: string }>(
    `SELECT count(*) FILTER (WHERE last_autoanalyze IS NOT NULL OR last_analyze IS NOT NULL) AS done,
            count(*) AS tables FROM pg_stat_user_tables WHERE n_live_tup > 0`,
  );
  const analysedNote = `tables with rows analysed by autovacuum after the warm-up: ${analysed.rows[0].done} of ${analysed.rows[0].tables}`;
  await stack.db.query('ANALYZE');
  const peaksReset = (await options.peaks?.()) ?? false;
  const statements =
    options.statementsFile && ctx.services.statements && stack.profileDir
      ? new StatementCounter(stack.db, stack.database.name)
      : undefined;
  await statements?.reset();
  const cpu = await cpuMeter(ctx.services, stack);
  await cpu.start();
  const waits = new WaitSampler(stack.db, stack.database.name);
  waits.start();
  const walAt = async () =>
    (await stack.db.query<{ lsn: string }>(`SELECT ${BENCH_SQL} pg_current_wal_lsn()::text AS lsn`))
      .rows[0].lsn;
  const walBefore = await walAt();
  const walInspector = ctx.services.embedded.postgres ? new WalInspector(stack.db) : undefined;
  await walInspector?.start();
  const postmaster = await ctx.services.postgresPid();
  const pgProcesses = postmaster
    ? new PgProcessMeter(postmaster, stack.db, ctx.services.prefix)
    : undefined;
  await pgProcesses?.start();
  const machine = new MachineMeter();
  await machine.start();
  const result = await runLoad({ ...load, durationSeconds: sizes.intakeSeconds });
  const waiting = waits.stop();
  const used = await cpu.stop();
  const shared = await machine.stop(used);
  const byProcess = await pgProcesses?.stop();
  // WAL written meanwhile, by the whole server (the worker's writes included): one log, one
  // writer, the part of a commit that stays serial however many processes there are.
  const walBytes = Number(
    (
      await stack.db.query<{ bytes: string }>(
        `SELECT ${BENCH_SQL} pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint::text AS bytes`,
        [walBefore],
      )
    ).rows[0].bytes,
  );
  const walParts = await walInspector?.report(walBefore, result.ok).catch((e: Error) => e.message);
  const perContact =
    statements && stack.profileDir
      ? await statements.report(result.ok, path.join(stack.profileDir, options.statementsFile!))
      : undefined;
  const cores = Object.entries(used)
    .map(([name, s]) => `${name} ${round(s / result.durationSeconds, 2)}`)
    .join(', ');
  const backlog = await stack.db
    .query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE status = 'pending'`)
    .then((r) => r.rows[0].n);
  const statuses = Object.entries(result.statusCounts)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  const probe = load.path !== INTAKE.path || load.method !== INTAKE.method;
  const note = `${probe ? `${load.method} ${load.path}, ` : ''}${result.ok} answered 2xx in ${result.durationSeconds} s over ${load.connections} connections (closed loop); statuses ${statuses || 'none'}; outbox rows pending at the end: ${backlog}; CPU used (cores): ${cores} (idle beforehand: ${idle}); ${shared}; ${analysedNote}, then ANALYZE; WAL written: ${round(walBytes / Math.max(1, result.ok) / 1024)} KiB per answer${walParts ? ` (${walParts})` : ''}; database sessions on average: ${waiting}${byProcess ? `; PostgreSQL's CPU by process: ${byProcess}` : ''}${perContact === undefined ? '' : `; ${perContact.toFixed(1)} SQL statements per answer (ranked in ${options.statementsFile} beside the profiles)`}`;
  return { result, used, peaksReset, note };
}

const SOURCES: Record<string, string> = {
  api: 'the API process (with its API processes under API_PROCESSES)',
  worker: 'every worker process',
  postgres: 'the PostgreSQL processes',
  redis: 'Redis (INFO cpu; not in the total)',
};

/** CPU time per answer of each source, and of them all together. */
function cpuFigures(
  name: string,
  saturation: Saturation,
  totalTargets: Target[] = [],
): FigureValue[] {
  const answers = Math.max(1, saturation.result.ok);
  const all = Object.entries(saturation.used);
  // The total is what the targets judge: API, workers and PostgreSQL. Redis beside it.
  const entries = all.filter(([source]) => source !== 'redis');
  const total = entries.reduce((sum, [, seconds]) => sum + seconds, 0);
  return [
    ...all.map(([source, seconds]) =>
      measured(`${name}.${source}`, round((seconds * 1000) / answers), 'ms', {
        note: `CPU time of ${SOURCES[source] ?? source} over the window ÷ answers`,
      }),
    ),
    measured(`${name}.total`, round((total * 1000) / answers), 'ms', {
      targets: totalTargets,
      note: `the sum of ${entries.map(([s]) => s).join(', ')}: the CPU one answer costs the machine`,
    }),
  ];
}

/**
 * Latency at a fixed rate, open loop: each request leaves at its scheduled moment whether or
 * not the earlier ones were answered, and is timed from that moment. First the worker
 * catches up with what the saturation load left it, so the figure is intake's alone.
 */
async function measureOpenLoop(
  ctx: BenchContext,
  stack: RunningStack,
  load: LoadSpec,
): Promise<{ result: OpenLoadResult; note: string; warning?: string }> {
  const { intakeOpenRate: rate, intakeSeconds: seconds } = ctx.options.sizes;
  const caughtUp = await waitUntil(
    'the worker to catch up',
    async () =>
      (
        await stack.db.query<{ n: string }>(
          `SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'sent')`,
        )
      ).rows[0].n === '0',
    { timeoutMs: 60_000, intervalMs: 250, process: stack.worker },
  ).then(
    () => true,
    () => false,
  );
  ctx.log(`  latency: ${rate} requests/s for ${seconds} s, open loop`);
  const cpu = await cpuMeter(ctx.services, stack);
  // Whether anything still works through the saturation load's aftermath (the worker's
  // done-marks and maintenance, autovacuum): what the processes use in the second before.
  await cpu.start();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = Object.entries(await cpu.stop())
    .map(([name, s]) => `${name} ${round(s, 2)}`)
    .join(', ');
  const postmaster = await ctx.services.postgresPid();
  const pgProcesses = postmaster
    ? new PgProcessMeter(postmaster, stack.db, ctx.services.prefix)
    : undefined;
  const machine = new MachineMeter();
  // With --profile, the statements of the open loop apart: at a fixed rate batches are small,
  // and what one statement costs whatever its batch shows here, not at saturation.
  const statements =
    ctx.services.statements && stack.profileDir
      ? new StatementCounter(stack.db, stack.database.name)
      : undefined;
  await statements?.reset();
  await cpu.start();
  await pgProcesses?.start();
  await machine.start();
  const result = await runOpenLoad({ ...load, rate, durationSeconds: seconds });
  const used = await cpu.stop();
  const shared = await machine.stop(used);
  const byProcess = await pgProcesses?.stop();
  const perContact =
    statements && stack.profileDir
      ? await statements.report(
          result.ok,
          path.join(stack.profileDir, 'intake-open-loop-statements.txt'),
        )
      : undefined;
  const cores = Object.entries(used)
    .map(([name, s]) => `${name} ${round(s / result.durationSeconds, 2)}`)
    .join(', ');
  // CPU per answer at this rate, beside the saturation window's (intake.cpu_per_contact).
  const total = Object.entries(used)
    .filter(([source]) => source !== 'redis')
    .reduce((sum, [, s]) => sum + s, 0);
  const cpuPerAnswer = `${round((total * 1000) / Math.max(1, result.ok))} ms (${Object.entries(used)
    .map(([name, s]) => `${name} ${round((s * 1000) / Math.max(1, result.ok))}`)
    .join(', ')})`;
  // Where in the window the tail lies: at the start (a backlog still being worked off) or
  // spread over it (pauses), by fifths of the schedule.
  const fifths = [0, 1, 2, 3, 4].map((i) => {
    const part = result.timeline.filter(
      (t) => t.due >= (i * seconds * 1000) / 5 && t.due < ((i + 1) * seconds * 1000) / 5,
    );
    return part.length ? round(distribution(part.map((t) => t.latency)).p99) : NaN;
  });
  const statuses = Object.entries(result.statusCounts)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  const note = `open loop: ${result.sent} requests sent on schedule at ${rate}/s (not waiting for answers), latency from each scheduled send to the answer's last byte; ${result.ok} answered 2xx, ${round(result.throughput)}/s achieved; statuses ${statuses || 'none'}; p95 ${round(result.latency.p95)} ms, max ${round(result.latency.max)} ms; the generator's own send lag p99 ${round(result.sendLag.p99)} ms (from each actual send: p50 ${round(result.fromSend.p50)}, p99 ${round(result.fromSend.p99)} ms); p99 by fifth of the window ${fifths.join(', ')} ms; CPU used (cores): ${cores} (in the second before: ${before}), per answer ${cpuPerAnswer}; ${shared}${byProcess ? `; PostgreSQL's CPU by process: ${byProcess}` : ''}${perContact === undefined ? '' : `; ${perContact.toFixed(1)} SQL statements per answer (ranked in intake-open-loop-statements.txt beside the profiles)`}${caughtUp ? '' : '; the worker had not caught up with the saturation load within 60 s'}`;
  const warning =
    result.throughput < rate * 0.9
      ? `answered ${round(result.throughput)}/s of the ${rate}/s sent: intake could not keep up`
      : undefined;
  return { result, note, warning };
}

/**
 * One caller with a long history: the seed command gives them `repeatCallerContacts`
 * contacts through Mayak's own code (their sealed counter moved on, each contact tagged, as
 * intake does), then the saturation load with that caller on every request. One more intake
 * afterwards must count the history, or the figure measured a caller the system did not know.
 */
async function measureRepeatCaller(
  ctx: BenchContext,
  stack: RunningStack,
  load: LoadSpec,
): Promise<{ saturation: Saturation; note: string }> {
  const history = ctx.options.sizes.repeatCallerContacts;
  const why = await seedContacts(stack, history, ctx.log, REPEAT_CALLER_NUMBER);
  if (why) throw new Error(why);
  const { bodies } = contactBodies(1_000, { caller: REPEAT_CALLER_NUMBER });
  const saturation = await measureSaturation(
    ctx,
    stack,
    { ...load, bodies },
    {
      label: `one caller with ${history.toLocaleString('en-US')} contacts`,
      statementsFile: 'intake-repeat-caller-statements.txt',
    },
  );
  const check = await stack.http.call<{ repeatCaller?: { previousContacts?: number } }>(
    INTAKE.method,
    INTAKE.path,
    JSON.parse(bodies[0]) as unknown,
    load.tokens[0],
  );
  const previous = check.body.repeatCaller?.previousContacts ?? -1;
  if (check.status !== 201 || previous < history + saturation.result.ok)
    throw new Error(
      `the repeat caller is not recognised with their history: an intake after the run answered ${check.status} with ${previous} previous contacts, expected at least ${history + saturation.result.ok}`,
    );
  const { rows } = await stack.db.query<{ n: string }>('SELECT count(*) AS n FROM contacts');
  return {
    saturation,
    note: `every request from one caller who had ${history.toLocaleString('en-US')} contacts before the warm-up (seeded by \`seed --caller-stdin\`) and ${previous.toLocaleString('en-US')} after the run, ${Number(rows[0].n).toLocaleString('en-US')} contacts in the system; ${saturation.note}`,
  };
}

/**
 * The saturation load against `processes` API processes (API_PROCESSES, one port) and as
 * many workers, on a fresh copy of the template, bracketed by the same load against a fresh
 * single-process stack just before and just after: on a shared machine the load moves within
 * minutes, so the ratio is taken against the mean of its two neighbours, not against
 * `intake.throughput` measured minutes earlier. A full run repeats it (`sizes.trials`: single,
 * N, single, N, …, single) and reports the N-process window with the median ratio, every
 * trial in the note: two single-process windows a minute apart differed by a sixth. Every
 * window starts from the same history (the template and the same number of warm-up requests,
 * so many per API process of the N-process stack). CPU per contact is summed over every
 * process.
 */
async function measureProcesses(
  ctx: BenchContext,
  processes: number,
  bodies: readonly string[],
): Promise<(single: number | null) => FigureValue[]> {
  const name = `intake.throughput.processes_${processes}`;
  const accounts = await ctx.stack.accounts();
  const window = async (n: number, label: string): Promise<Saturation> => {
    const stack = await ctx.stack.launch(`intake-p${n}-${label}`, {
      api: true,
      worker: true,
      processes: n,
    });
    try {
      const tokens = await Promise.all(accounts.volunteers.map((v) => stack.signIn(v)));
      return await measureSaturation(
        ctx,
        stack,
        {
          baseUrl: stack.http.baseUrl,
          method: INTAKE.method,
          path: INTAKE.path,
          connections: ctx.options.sizes.intakeConnections,
          bodies,
          tokens,
        },
        {
          label: `${n} API process${n > 1 ? 'es' : ''} and ${n} worker${n > 1 ? 's' : ''} (${label})`,
          statementsFile:
            n > 1
              ? `intake-processes_${processes}-statements.txt`
              : `intake-processes_${processes}-${label}-statements.txt`,
          warmRequests: WARM_REQUESTS_PER_PROCESS * processes,
        },
      );
    } finally {
      await stack.stop();
    }
  };
  // Single, N, single, … : each N-process window between two single-process ones.
  const singles = [await window(1, 'before')];
  const multis: Saturation[] = [];
  for (let i = 0; i < ctx.options.sizes.trials; i++) {
    const label = ctx.options.sizes.trials > 1 ? `measured${i + 1}` : 'measured';
    multis.push(await window(processes, label));
    singles.push(await window(1, ctx.options.sizes.trials > 1 ? `after${i + 1}` : 'after'));
  }
  const trials = multis.map((saturation, i) => ({
    saturation,
    before: singles[i],
    after: singles[i + 1],
    neighbours: (singles[i].result.throughput + singles[i + 1].result.throughput) / 2,
  }));
  const { saturation, before, after, neighbours } = medianBy(
    trials,
    (t) => t.saturation.result.throughput / t.neighbours,
  );
  const all =
    trials.length > 1
      ? `; the median of ${trials.length} trials (N processes ÷ the mean of its neighbours): ${trials
          .map(
            (t) =>
              `${round(t.saturation.result.throughput)} ÷ ${round(t.neighbours)} (${Math.round((t.saturation.result.throughput / t.neighbours) * 100)}%)`,
          )
          .join(', ')}`
      : '';
  // As cpuFigures' total: API, workers and PostgreSQL, Redis apart.
  const perContact = (s: Saturation) =>
    round(
      (Object.entries(s.used)
        .filter(([source]) => source !== 'redis')
        .reduce((sum, [, seconds]) => sum + seconds, 0) *
        1000) /
        Math.max(1, s.result.ok),
      2,
    );
  // Each source apart, as cpuFigures gives them for the measured window.
  const bySource = (s: Saturation) =>
    Object.entries(s.used)
      .map(([source, seconds]) => `${source} ${round((seconds * 1000) / Math.max(1, s.result.ok))}`)
      .join(', ');
  const note = `${processes} API processes (API_PROCESSES=${processes}, node:cluster on one port) and ${processes} worker processes against one PostgreSQL and one Redis, against the mean of one API process and one worker on a fresh stack just before (${round(before.result.throughput)} contacts/s, ${perContact(before)} ms CPU per contact: ${bySource(before)}; ${before.note}) and just after (${round(after.result.throughput)} contacts/s, ${perContact(after)} ms: ${bySource(after)}; ${after.note}); measured: ${saturation.note}${all}`;
  return (single) => [
    measured(name, round(saturation.result.throughput), 'contacts/s', {
      baseline: round(neighbours),
      targets: PROCESSES,
      note: `${note}; intake.throughput earlier in the run: ${single ?? '—'} contacts/s`,
    }),
    ...cpuFigures(`intake.processes_${processes}.cpu_per_contact`, saturation),
  ];
}

async function pgBaseline(ctx: BenchContext, rowBytes: number, rowSource: string) {
  const sizes = ctx.options.sizes;
  ctx.log(
    `  baseline: single-row INSERTs of ${rowBytes} bytes, ${sizes.baselineClients} clients, ${sizes.intakeSeconds} s`,
  );
  const database = await ctx.services.createDatabase('baseline_pg');
  const postgres = await ctx.services.postgresPid();
  const serverCpu = postgres ? () => processTreeCpuSeconds(postgres) : undefined;
  const plain = await measurePgInsert(database.url, {
    clients: sizes.baselineClients,
    seconds: sizes.intakeSeconds,
    rowBytes,
    serverCpu,
  });
  const figures = [
    measured('baseline.pg_insert.throughput', round(plain.rowsPerSecond), 'rows/s', {
      note: `${plain.clients} clients, ${plain.rowBytes}-byte rows (sized from the ${rowSource}), insert p99 ${round(plain.latency.p99)} ms`,
    }),
  ];
  if (plain.cpuPerRowMs !== undefined)
    figures.push(
      measured('baseline.pg_insert.cpu_per_row.postgres', round(plain.cpuPerRowMs), 'ms', {
        note: 'CPU time of the PostgreSQL processes per plain INSERT: compare intake.cpu_per_contact.postgres',
      }),
    );
  // What one outbox row or one audit entry per transaction costs by itself, with Mayak's
  // own triggers: a lock held through commit serialises every commit behind it.
  const migrated = await ctx.stack.freshDatabase('baseline_mayak');
  for (const into of ['outbox', 'audit'] as const) {
    ctx.log(`  diagnostic: one ${into} row per transaction, ${sizes.diagnosticSeconds} s`);
    const result = await measurePgInsert(migrated.url, {
      clients: sizes.baselineClients,
      seconds: sizes.diagnosticSeconds,
      rowBytes,
      into,
    });
    figures.push(
      measured(`baseline.pg_insert_${into}.throughput`, round(result.rowsPerSecond), 'rows/s', {
        baseline: round(plain.rowsPerSecond),
        note: `single-row INSERTs into Mayak's ${into === 'outbox' ? 'outbox' : 'audit_entries'} table (its triggers included), ${result.clients} clients, insert p99 ${round(result.latency.p99)} ms`,
      }),
    );
  }
  return { rowsPerSecond: plain.rowsPerSecond, figures };
}
