#!/usr/bin/env node
/**
 * `npm run attack:metadata [-- --quick | --calls N] [--days 90] [--seed 1] [--settle-worker] [--all-wal] [--check]`
 *
 * Runs issue 11's metadata join (test/seizure/metadata-join.seizure-spec.ts) through Jest, so
 * that it gets the harness's PostgreSQL and Redis (TEST_DATABASE_URL / TEST_REDIS_URL, or
 * private instances), and prints the figures. Without --check the goals are not judged and
 * the exit code only says whether the attack ran; with --check a goal not met exits 1.
 * The report is also written to test-output/seizure/metadata-join.{txt,json}.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    calls: { type: 'string' },
    days: { type: 'string', default: '90' },
    seed: { type: 'string', default: '1' },
    'settle-worker': { type: 'boolean', default: false },
    // Every WAL segment of the run, as a PostgreSQL left with its defaults may keep.
    'all-wal': { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
  strict: true,
});
const calls = values.calls ?? (values.quick ? '2000' : '20000');
const env = {
  ...process.env,
  // 20,000 calls make some two million observations before the entities are built.
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=6144`.trim(),
  SEIZURE_CALLS: calls,
  SEIZURE_DAYS: values.days,
  SEIZURE_SEED: values.seed,
  ...(values['settle-worker'] ? { SEIZURE_SETTLE_WORKER: '1' } : {}),
  ...(values['all-wal'] ? { SEIZURE_WAL: 'all' } : {}),
  ...(values.check ? {} : { SEIZURE_REPORT_ONLY: '1' }),
};
const result = spawnSync(
  'npx',
  ['jest', '-c', 'jest.seizure.config.js', 'test/seizure/metadata-join.seizure-spec.ts'],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
