import { parseArgs } from 'node:util';
import { RetentionService } from '@mayak/retention';
import { UsageError, withCliContext } from '../cli-context';
import { Command } from './command';

/** `retention report`: the deletion receipts that retention sweeps wrote into the audit chain. */
export const retentionCommand: Command = {
  name: 'retention',
  usage: 'retention report [--limit N] [--json]',
  summary:
    'print the deletion receipts of the retention sweeps (from the audit chain): when, and how many contacts, cases, notes and callers were deleted',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'report') throw new UsageError('the only retention subcommand is report');
    const { values } = parseArgs({
      args: rest,
      options: { limit: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError('--limit must be a whole number');
    const receipts = await withCliContext((app) => app.get(RetentionService).receipts(limit), {
      needsKeys: false,
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(receipts)}\n`);
      return 0;
    }
    if (receipts.length === 0) {
      process.stdout.write('no retention sweep has deleted anything yet\n');
      return 0;
    }
    for (const { at, deleted } of receipts)
      process.stdout.write(
        `${at.toISOString()}  deleted: ${Object.entries(deleted)
          .map(([what, n]) => `${what} ${n}`)
          .join(', ')}\n`,
      );
    return 0;
  },
};
