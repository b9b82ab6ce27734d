import { AttackReport, runMetadataAttack } from './metadata-attack/metadata-attack';
import { linkingPaths } from './metadata-attack/report';

/** The attributes whose every copy at rest is sealed now (contacts, cases, statistics). */
const SEALED = ['orientation', 'gender identity', 'age band', 'topics', 'summary'];

/**
 * Issue 11's attacker in every test run, at quick size (2,000 calls through the real intake
 * and worker, then the same seizure and join as `npm run test:seizure`): what the schema
 * already closes must stay closed. No two calls of one caller share a plaintext value, and no
 * attribute that is sealed everywhere attaches to a telephone record. The issue's full goals
 * are judged by `npm run test:seizure` at 20,000 calls, and are not all met yet: an open
 * case's service beside its exact times still attaches services sought, and with them the
 * risk flag and outcome (docs/security/seizure.md).
 */
describe('a seized database joined with the telephone records (quick attacker)', () => {
  let report: AttackReport;

  beforeAll(async () => {
    report = await runMetadataAttack({ calls: 2_000, days: 90, seed: 1 });
  }, 600_000);

  it('seized every table and tried the joins', () => {
    expect(report.telephoneRecords.ofLoggedCalls).toBeGreaterThan(600);
    expect(report.seized.tables).toBeGreaterThan(10);
    expect(report.rulesTried).toBeGreaterThan(0);
  });

  it('links no two calls of one caller', () => {
    expect(linkingPaths(report).map((l) => l.path)).toEqual([]);
  });

  it('attaches no sealed attribute to any telephone record', () => {
    expect(
      report.attributes
        .filter((a) => SEALED.includes(a.attribute) && a.correct > 0)
        .map((a) => ({ attribute: a.attribute, records: a.correct, via: a.via })),
    ).toEqual([]);
  });
});
