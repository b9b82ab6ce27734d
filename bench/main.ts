import 'reflect-metadata';
import path from 'node:path';
import { loadConfig } from '@mayak/platform';
import { ROOT } from './core/apps';
import { BenchContext } from './core/context';
import { failed, FigureValue, targetsMet } from './core/figure';
import { describeMachine } from './core/machine';
import { parseOptions, USAGE } from './core/options';
import { formatTable, RunInfo, writeResults } from './core/report';
import { BenchServices } from './core/services';
import { AppStack } from './core/stack';
import { FIGURES } from './figures';

/**
 * `npm run bench`: starts (or connects to) PostgreSQL and Redis, runs each figure in turn
 * (each with its own baseline, its own database and its own API/worker processes), prints
 * the table and writes bench/results/latest.json plus a dated copy.
 */
async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const unknown = options.only.filter((id) => !FIGURES.some((f) => f.id === id));
  if (unknown.length) {
    process.stderr.write(`unknown figure(s): ${unknown.join(', ')}\n\n${USAGE}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = new Date();
  const workerConcurrency = loadConfig().WORKER_CONCURRENCY;

  log(`bench: ${options.quick ? 'quick' : 'full'} run; starting PostgreSQL and Redis`);
  const services = await BenchServices.start({ keep: options.keep, statements: options.profile });
  const stack = new AppStack(
    services,
    workerConcurrency,
    log,
    options.profile
      ? path.join(ROOT, 'bench', 'results', 'profiles', fileStamp(startedAt))
      : undefined,
  );
  let cleanup: Promise<void> | undefined;
  const onSignal = () => {
    if (cleanup) return;
    log('bench: interrupted; stopping the apps and the servers');
    // The running figure fails as its servers go; nothing is written.
    cleanup = stack.stopAll().then(() => services.stop(options.keep));
    void cleanup.finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const values: FigureValue[] = [];
  try {
    const machine = await describeMachine(services);
    const ctx: BenchContext = {
      options,
      services,
      stack,
      workerConcurrency,
      log,
    };
    for (const figure of FIGURES) {
      if (cleanup) break;
      if (options.only.length && !options.only.includes(figure.id)) continue;
      const t0 = Date.now();
      log(`▸ ${figure.id}: ${figure.title}`);
      try {
        values.push(...(await figure.run(ctx)));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  failed: ${message}`);
        values.push(...figure.names.map((n) => failed(n.name, n.unit, error, n.targets)));
      }
      log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    if (cleanup) return 130;
    const run: RunInfo = {
      mode: options.quick ? 'quick' : 'full',
      startedAt: startedAt.toISOString(),
      seconds: (Date.now() - startedAt.getTime()) / 1000,
      statsContacts: options.sizes.statsContacts,
      workerConcurrency,
      processes: options.processes,
    };
    process.stdout.write(`\n${formatTable(machine, run, values)}\n`);
    const file = await writeResults(ROOT, machine, run, values);
    log(`written: bench/results/latest.json and ${file.slice(ROOT.length + 1)}`);
    if (options.keep) log(`kept: ${services.workDir} (app logs, and the private servers' data)`);
    if (options.profile)
      log('profiles: bench/results/profiles/ (open in Chrome DevTools → Performance)');
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (cleanup) await cleanup.catch(() => undefined);
    else await services.stop(options.keep);
  }
  if (values.some((v) => v.failed)) return 1;
  if (options.check && values.some((v) => targetsMet(v) === false)) return 1;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);

/** ISO 8601 basic format (no colons), valid in a file name on every system. */
function fileStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
