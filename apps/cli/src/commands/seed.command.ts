import { parseArgs } from 'node:util';
import { ContactSeeder, StatsRollupService } from '@mayak/statistics';
import { readStdin, UsageError, withCliContext } from '../cli-context';
import { Command } from './command';

/** A progress bar on a terminal; a line every tenth of the way otherwise. */
function progress(label: string): (done: number, total: number) => void {
  const started = Date.now();
  let lastTenth = -1;
  return (done, total) => {
    const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
    const fraction = done / total;
    if (process.stderr.isTTY) {
      const width = 30;
      const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
      process.stderr.write(
        `\r${label} [${bar}] ${Math.floor(fraction * 100)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${rate.toLocaleString('en')}/s)`,
      );
      if (done === total) process.stderr.write('\n');
    } else if (Math.floor(fraction * 10) > lastTenth || done === total) {
      lastTenth = Math.floor(fraction * 10);
      process.stderr.write(`${label}: ${done}/${total} (${rate}/s)\n`);
    }
  };
}

export const seedCommand: Command = {
  name: 'seed',
  usage: 'seed --contacts N [--days 730] [--batch 5000] [--seed 1] [--caller-stdin] [--no-rollup]',
  summary:
    'create N synthetic contacts (skewed like real ones) for demos and benchmarks, then rebuild the statistics; with --caller-stdin all from the one caller whose number or handle is on standard input',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        contacts: { type: 'string' },
        days: { type: 'string', default: '730' },
        batch: { type: 'string', default: '5000' },
        seed: { type: 'string', default: '1' },
        'caller-stdin': { type: 'boolean', default: false },
        'no-rollup': { type: 'boolean', default: false },
      },
      strict: true,
    });
    const number = (name: string, value: string | undefined, max: number) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > max)
        throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
      return n;
    };
    const contacts = number('contacts', values.contacts, 50_000_000);
    const days = number('days', values.days, 3_650);
    const batch = number('batch', values.batch, 50_000);
    const seed = number('seed', values.seed, 2 ** 31);
    // A number or handle stays off the command line (process lists, shell history).
    const caller = values['caller-stdin']
      ? (await readStdin('--caller-stdin', 'the caller’s number or handle')).trim()
      : undefined;
    if (caller === '') throw new UsageError('--caller-stdin read an empty number or handle');
    await withCliContext(async (app) => {
      await app
        .get(ContactSeeder)
        .seed({ contacts, days, batch, seed, caller, onProgress: progress('contacts') });
      if (!values['no-rollup']) {
        process.stderr.write('rebuilding the statistics rollups…\n');
        await app.get(StatsRollupService).full();
      }
    });
    process.stdout.write(
      `seeded ${contacts} synthetic contacts over ${days} days${caller ? ', all from one caller' : ''}\n`,
    );
    return 0;
  },
};
