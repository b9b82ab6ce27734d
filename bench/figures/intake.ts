import path from 'node:path';
import { measurePgInsert } from '../baselines/pg-insert';
import { contactBodies } from '../core/contact-body';
import { BenchContext } from '../core/context';
import { Figure, FigureValue, measured, Target, unavailable } from '../core/figure';
import { runLoad } from '../core/http-load';
import { INTAKE, intakeMissing } from '../core/mayak';
import { cpuMeter, processTreeCpuSeconds } from '../core/cpu';
import { round } from '../core/percentiles';
import { WaitSampler } from '../core/pg-waits';
import { StatementCounter } from '../core/statements';

const THROUGHPUT: Target[] = [
  { op: '>=', value: 2_000 },
  { op: '>=', value: 0.2, of: 'ratio' },
];
const P99: Target[] = [{ op: '<=', value: 50 }];
const ERRORS: Target[] = [{ op: '<=', value: 0 }];
const RSS: Target[] = [{ op: '<=', value: 300 }];
const MB = 1024 * 1024;

/**
 * Intake: signed-in volunteers post realistic contacts (consent, a legal case, a summary and
 * a phone number to encrypt and hash) over 50 keep-alive connections, through the real API,
 * database and outbox, with the worker relaying and routing behind it. The baseline is plain
 * INSERTs of a row of the same size on the same server. Peak RSS of both processes is taken
 * over the measured window.
 *
 * With --intake-route the same load goes to another route, to exercise this runner before
 * the intake route exists; those figures are named probe.* and judged against nothing.
 */
export const intakeFigure: Figure = {
  id: 'intake',
  title: 'POST /api/contacts, 50 connections, beside plain pg INSERTs',
  names: [
    { name: 'intake.throughput', unit: 'contacts/s', targets: THROUGHPUT },
    { name: 'intake.p50', unit: 'ms' },
    { name: 'intake.p99', unit: 'ms', targets: P99 },
    { name: 'intake.errors', unit: 'errors', targets: ERRORS },
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
        const load = {
          baseUrl: stack.http.baseUrl,
          method: route.method,
          path: route.path,
          connections: sizes.intakeConnections,
          bodies: route.method === 'GET' ? undefined : bodies,
          tokens,
        };
        ctx.log(`  warm-up ${sizes.warmupSeconds} s, then ${sizes.intakeSeconds} s measured`);
        await runLoad({ ...load, durationSeconds: sizes.warmupSeconds });
        const api = stack.api!;
        const worker = stack.worker!;
        const peaksReset = (await api.beginPeakWindow()) && (await worker.beginPeakWindow());
        const statements =
          ctx.services.statements && stack.profileDir
            ? new StatementCounter(stack.db, stack.database.name)
            : undefined;
        await statements?.reset();
        const prefix = probe ? 'probe' : 'intake';
        const cpu = await cpuMeter(ctx.services, stack);
        await cpu.start();
        const waits = new WaitSampler(stack.db, stack.database.name);
        waits.start();
        const result = await runLoad({ ...load, durationSeconds: sizes.intakeSeconds });
        const waiting = waits.stop();
        const used = await cpu.stop();
        const perContact =
          statements && stack.profileDir
            ? await statements.report(
                result.ok,
                path.join(stack.profileDir, `${prefix}-statements.txt`),
              )
            : undefined;
        const cores = Object.entries(used)
          .map(([name, s]) => `${name} ${round(s / result.durationSeconds, 2)}`)
          .join(', ');
        const apiPeak = await api.endPeakWindow();
        const workerPeak = await worker.endPeakWindow();
        const backlog = await stack.db
          .query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE status = 'pending'`)
          .then((r) => r.rows[0].n);
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
        const errors = result.non2xx + result.errors;
        const statuses = Object.entries(result.statusCounts)
          .map(([code, n]) => `${code}×${n}`)
          .join(' ');
        const note = `${probe ? `${route.method} ${route.path}, ` : ''}${result.ok} answered 2xx in ${result.durationSeconds} s over ${sizes.intakeConnections} connections; statuses ${statuses || 'none'}; outbox rows pending at the end: ${backlog}; CPU used (cores): ${cores}; database sessions on average: ${waiting}${perContact === undefined ? '' : `; ${perContact.toFixed(1)} SQL statements per answer (ranked in ${prefix}-statements.txt beside the profiles)`}`;
        const memoryNote = `peak RSS over the measured window${peaksReset ? '' : ' (the kernel refused to reset VmHWM: includes start-up)'}`;
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
                note,
              },
            ),
            measured(`${prefix}.p50`, round(result.latency.p50), 'ms', { note }),
            measured(`${prefix}.p99`, round(result.latency.p99), 'ms', {
              targets: probe ? [] : P99,
              note,
            }),
            measured(`${prefix}.errors`, errors, 'errors', {
              targets: probe ? [] : ERRORS,
              note: `${result.non2xx} non-2xx, ${result.errors} socket errors (${result.timeouts} timeouts)`,
            }),
            // CPU time per answer barely moves with the machine's load, unlike throughput.
            ...Object.entries(used).map(([name, seconds]) =>
              measured(
                `${prefix}.cpu_per_${probe ? 'request' : 'contact'}.${name}`,
                round((seconds * 1000) / Math.max(1, result.ok)),
                'ms',
                {
                  note: `CPU time of the ${name} process${name === 'postgres' ? 'es' : ''} over the window ÷ answers`,
                },
              ),
            ),
            measured(`${memory}.api.rss`, round(apiPeak / MB), 'MB', {
              targets: probe ? [] : RSS,
              note: memoryNote,
            }),
            measured(`${memory}.worker.rss`, round(workerPeak / MB), 'MB', {
              targets: probe ? [] : RSS,
              note: memoryNote,
            }),
          ],
        };
      }
    } finally {
      await stack.stop();
    }
    // The baseline runs alone, after Mayak has stopped, on the same server.
    const baseline = await pgBaseline(ctx, rowBytes, rowSource);
    if ('values' in outcome)
      return [...outcome.values(baseline.rowsPerSecond), ...baseline.figures];
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
