import { parseArgs } from 'node:util';
import { GenerationStatus, KeyRotation, RotationReport } from '@mayak/custody';
import { withCliContext } from '../cli-context';
import { Command } from './command';

export const rotateKeysCommand: Command = {
  name: 'rotate-keys',
  usage: 'rotate-keys [--caller-key] [--status] [--json]',
  summary:
    'rotate the master and audit-chain keys online (re-wraps every data key; resumes one cut short); --caller-key also rotates the caller-recognition key; --status shows every key generation',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        'caller-key': { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    const result = await withCliContext(async (app) => {
      const rotation = app.get(KeyRotation);
      if (values.status) return { status: await rotation.status() };
      let batches = 0;
      const report = await rotation.rotate({
        callerKey: values['caller-key'],
        onBatch: ({ table, rewrapped }) => {
          if (!values.json && ++batches % 20 === 0)
            process.stderr.write(`  ${table}: ${rewrapped} data keys re-wrapped\n`);
        },
      });
      return { report, status: await rotation.status() };
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    if ('report' in result && result.report) process.stdout.write(describeReport(result.report));
    process.stdout.write(describeStatus(result.status));
    return 0;
  },
};

function describeReport(report: RotationReport): string {
  const lines: string[] = [];
  lines.push(
    report.rotated.length > 0
      ? `rotated: ${report.rotated.map((r) => `${r.kind} key → generation ${r.generation}`).join(', ')}`
      : 'resumed the rotation that was cut short (no new generation)',
  );
  const rewrapped = Object.entries(report.rewrapped).filter(([, n]) => n > 0);
  lines.push(
    `re-wrapped ${rewrapped.reduce((a, [, n]) => a + n, 0)} data keys${
      rewrapped.length ? ` (${rewrapped.map(([t, n]) => `${t} ${n}`).join(', ')})` : ''
    }; nothing else was decrypted`,
  );
  if (report.callers.rehashed + report.callers.forgotten > 0)
    lines.push(
      `caller hashes: ${report.callers.rehashed} redone (contact-back consent keeps the identifier), ${report.callers.forgotten} dropped (their next call starts a new caller)`,
    );
  if (report.destroyed.length > 0)
    lines.push(
      `destroyed: ${report.destroyed.map((d) => `${d.kind} key generation ${d.generation}`).join(', ')}`,
    );
  return `${lines.join('\n')}\n`;
}

function describeStatus(status: GenerationStatus[]): string {
  const lines = status.map((s) => {
    const when =
      s.state === 'retiring' && s.destroyAfter
        ? `, destroyed after ${s.destroyAfter.toISOString()}`
        : s.state === 'retiring'
          ? ', kept'
          : '';
    const keys =
      s.dataKeys !== undefined && s.state !== 'destroyed' ? `, wraps ${s.dataKeys} data keys` : '';
    return `  ${s.kind.padEnd(6)} generation ${s.generation}: ${s.state}${when}${keys}`;
  });
  return `key generations:\n${lines.join('\n')}\n`;
}
