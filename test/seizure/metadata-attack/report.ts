import { AttackReport } from './metadata-attack';
import { ATTACHMENT } from './scoring';

/** Pairs of calls sharing a value count as linked when one in ten or more is a true pair. */
export const LINK_PRECISION = 0.1;

export interface Goals {
  noAttachment: boolean;
  neverCertain: boolean;
  noLinking: boolean;
}

export function goals(report: AttackReport): Goals {
  return {
    noAttachment: report.attributes.every((a) => a.correct === 0),
    neverCertain: report.attributes.every((a) => a.certainCorrect === 0),
    noLinking: linkingPaths(report).length === 0,
  };
}

/** The values that link calls of one caller, best first, one line per value path. */
export function linkingPaths(report: AttackReport): AttackReport['links'] {
  const best = new Map<string, AttackReport['links'][number]>();
  for (const l of report.links)
    if (l.truePairs > 0 && l.precision >= LINK_PRECISION && !best.has(l.path)) best.set(l.path, l);
  return [...best.values()];
}

function table(lines: string[], attributes: AttackReport['attributes'], what: string): void {
  lines.push(
    `attribute        best gain  posterior  records > ${ATTACHMENT} (true/claimed)  certain (true/claimed)  ${what}`,
  );
  for (const a of attributes)
    lines.push(
      [
        a.attribute.padEnd(16),
        a.maxGain.toFixed(2).padStart(9),
        a.maxPosterior.toFixed(2).padStart(10),
        `${num(a.correct)}/${num(a.attachments)}`.padStart(29),
        `${num(a.certainCorrect)}/${num(a.certain)}`.padStart(23),
        ` ${a.via}`,
      ].join(' '),
    );
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number) => x.toLocaleString('en');

export function formatReport(report: AttackReport): string {
  const o = report.options;
  const lines: string[] = [];
  lines.push(
    `Metadata join (issue 11): ${num(o.calls)} calls over ${o.days} days, seed ${o.seed}${o.settleWorker ? ', worker settled per call' : ''}; WAL: ${o.wal === 'all' ? 'every segment of the run' : 'as the deployment keeps it'}`,
  );
  lines.push(
    `telephone records: ${num(report.telephoneRecords.total)} (${num(report.telephoneRecords.ofLoggedCalls)} of logged phone calls, the rest unrelated)`,
  );
  const docs = Object.entries(report.seized.documents)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(', ');
  lines.push(
    `seized: ${report.seized.tables} tables, ${num(report.seized.rows)} rows; ${docs}${report.seized.missing.length ? `; not found: ${report.seized.missing.join('; ')}` : ''}`,
  );
  lines.push(
    `join rules tried: ${report.rulesTried}; seeding ${report.seconds.seeding.toFixed(0)} s, attack ${report.seconds.attack.toFixed(0)} s`,
  );
  const w = report.work;
  lines.push(
    `casework: ${num(w.casesClosed)} legal/psychological cases closed; emergencies ${num(w.paged)} paged, ${num(w.acknowledged)} acknowledged, ${num(w.emergenciesClosed)} closed`,
  );
  lines.push('');
  table(lines, report.attributes, 'best join');
  lines.push('');
  lines.push(
    `timed events alone (${num(report.timedEventSets)} sets of rows with a time and a plaintext value, no id; included above):`,
  );
  table(lines, report.timedEvents, 'best event (source.column=value: rule)');
  for (const a of report.timedEvents)
    if (a.sharpest) lines.push(`  ${a.attribute}, sharpest: ${a.sharpest}`);
  const phoneRecords = report.telephoneRecords.ofLoggedCalls;
  lines.push('');
  lines.push(
    `telephone records of logged calls with a true attachment above ${ATTACHMENT}: ${num(report.recordsAttached)} of ${num(phoneRecords)} (${pct(report.recordsAttached / Math.max(1, phoneRecords))})`,
  );
  lines.push('');
  const telling = report.joins.filter((j) => j.attached > 0);
  lines.push(
    `joins that attach (records of logged calls with a true attachment above ${ATTACHMENT}):`,
  );
  if (telling.length === 0) lines.push('  none');
  for (const j of telling.slice(0, 15)) lines.push(`  ${num(j.attached).padStart(7)}  ${j.via}`);
  if (telling.length > 15) lines.push(`  … and ${telling.length - 15} more`);
  lines.push('');
  const linking = linkingPaths(report);
  lines.push(`linking: values shared by calls of one caller (precision ≥ ${LINK_PRECISION})`);
  if (linking.length === 0) lines.push('  none');
  for (const l of linking.slice(0, 10))
    lines.push(
      `  ${l.path.padEnd(40)} via ${l.anchor.padEnd(14)} recall ${pct(l.recall).padStart(6)}  precision ${pct(l.precision).padStart(6)}  (${num(l.truePairs)} of ${num(l.pairs)} pairs)`,
    );
  const g = goals(report);
  lines.push('');
  lines.push(
    `goals: no attachment above ${ATTACHMENT}: ${g.noAttachment ? 'met' : 'NOT MET'}; never certain: ${g.neverCertain ? 'met' : 'NOT MET'}; no linking: ${g.noLinking ? 'met' : 'NOT MET'}`,
  );
  return lines.join('\n');
}
