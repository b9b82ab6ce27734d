import { parseArgs } from 'node:util';

export interface BenchOptions {
  quick: boolean;
  /** Fraction of the 5,000,000 seeded contacts the statistics figure uses. */
  scale: number;
  /** Figure ids to run (all when empty). */
  only: string[];
  /** Overrides the intake route, to exercise the load runner on another route ("GET /api/auth/me"). */
  intakeRoute?: { method: string; path: string };
  /** Exit 1 when a figure misses its target (the default only reports). */
  check: boolean;
  /** Keep the bench's private services and logs for inspection. */
  keep: boolean;
  /** Run the API and the worker under --cpu-prof (profiles under bench/results/profiles). */
  profile: boolean;
  /**
   * Above 1, the intake figure runs again with this many API processes (API_PROCESSES) and
   * this many workers, beside the single-process run.
   */
  processes: number;
  sizes: Sizes;
}

/** Every size the figures use, in one place: the full run and its --quick shadow. */
export interface Sizes {
  intakeConnections: number;
  intakeSeconds: number;
  warmupSeconds: number;
  /** intake.p50/p99: intakes a second, open loop (sent on schedule, answered or not). */
  intakeOpenRate: number;
  /** The contacts the one caller of intake.repeat_caller already has. */
  repeatCallerContacts: number;
  baselineClients: number;
  /** The outbox and audit INSERT diagnostics beside the baseline. */
  diagnosticSeconds: number;
  routingCases: number;
  /**
   * Interleaved repetitions of a ratio measured on a busy shared machine (routing against the
   * no-op worker, N processes against one): the figure is the trial with the median ratio,
   * every trial in its note. One window of a few seconds moves with the machine by a fifth.
   */
  trials: number;
  latencyRate: number;
  latencySeconds: number;
  timers: number;
  statsContacts: number;
  statsQueries: number;
}

const FULL: Sizes = {
  intakeConnections: 50,
  intakeSeconds: 20,
  warmupSeconds: 5,
  intakeOpenRate: 200,
  repeatCallerContacts: 50_000,
  baselineClients: 8,
  diagnosticSeconds: 10,
  routingCases: 10_000,
  trials: 3,
  latencyRate: 200,
  latencySeconds: 20,
  timers: 1_000,
  statsContacts: 5_000_000,
  statsQueries: 200,
};

const QUICK: Sizes = {
  ...FULL,
  intakeSeconds: 5,
  warmupSeconds: 2,
  diagnosticSeconds: 3,
  routingCases: 1_000,
  trials: 1,
  latencySeconds: 5,
  statsContacts: 5_000_000,
  statsQueries: 40,
};

export const USAGE = `usage: npm run bench -- [--quick] [--scale F] [--only ids] [--intake-route "METHOD /path"] [--processes N] [--check] [--keep] [--profile]

  --quick          every figure at a smaller size (well under 3 minutes)
  --scale F        the statistics figure seeds F × 5,000,000 contacts (default 1, with --quick 0.02)
  --only ids       run only these figures, comma-separated: intake,routing,intake-to-assigned,timers,stats
  --intake-route   drive the intake load at another route (e.g. "GET /api/auth/me"); its figures
                   are then reported as probe.* so they are never mistaken for intake figures
  --processes N    also run intake with N API processes (API_PROCESSES) and N workers, beside
                   the single-process run (intake.throughput.processes_N)
  --check          exit 1 when a figure misses its target
  --keep           keep the private PostgreSQL/Redis data and the app logs (printed path)
  --profile        run the API and the worker under node --cpu-prof; the profiles land in
                   bench/results/profiles/ (open them in Chrome DevTools)

Environment: BENCH_DATABASE_URL / BENCH_REDIS_URL use configured servers instead of private ones;
WORKER_CONCURRENCY sets the worker's concurrency (default 16); BENCH_LOG_LEVEL the apps' log level (info);
BENCH_API_NODE_ARGS Node options for the API process (e.g. --trace-gc, into its log; with --keep).`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scale: { type: 'string' },
      only: { type: 'string' },
      'intake-route': { type: 'string' },
      check: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      processes: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const scale = values.scale === undefined ? (quick ? 0.02 : 1) : Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be a fraction in (0, 1]');
  let intakeRoute: BenchOptions['intakeRoute'];
  if (values['intake-route']) {
    const match = /^(GET|POST|PUT|PATCH|DELETE)\s+(\/\S*)$/i.exec(values['intake-route'].trim());
    if (!match) throw new Error('--intake-route must look like "GET /api/auth/me"');
    intakeRoute = { method: match[1].toUpperCase(), path: match[2] };
  }
  const processes = Number(values.processes);
  if (!Number.isInteger(processes) || processes < 1 || processes > 64)
    throw new Error('--processes must be a whole number from 1 to 64');
  const base = quick ? QUICK : FULL;
  return {
    quick,
    scale,
    only: (values.only ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    intakeRoute,
    check: values.check ?? false,
    keep: values.keep ?? false,
    profile: values.profile ?? false,
    processes,
    sizes: { ...base, statsContacts: Math.round(base.statsContacts * scale) },
  };
}
