import { parseArgs } from 'node:util';
import { writeBackup } from '@mayak/backup';
import { UsageError, withOwnerDatabase } from '../cli-context';
import { Command } from './command';

export const backupCommand: Command = {
  name: 'backup',
  usage: 'backup --out FILE [--recipients FILE | --recipient AGE_PUBLIC_KEY ...]',
  summary:
    'write a consistent backup of the database, encrypted with age to the given recipients (default: BACKUP_RECIPIENTS_FILE)',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        recipient: { type: 'string', multiple: true },
        recipients: { type: 'string' },
      },
      strict: true,
    });
    if (!values.out) throw new UsageError('--out FILE is required');
    const out = values.out;
    const summary = await withOwnerDatabase((databaseUrl, config) =>
      writeBackup({
        databaseUrl,
        out,
        recipients: values.recipient ?? [],
        recipientsFile:
          values.recipients ??
          (values.recipient?.length ? undefined : config.BACKUP_RECIPIENTS_FILE),
      }),
    );
    process.stdout.write(
      `backup written: ${summary.file} (${summary.tables} tables, ${summary.rows} rows, schema ${summary.schema}, ${summary.bytes} bytes)\n`,
    );
    return 0;
  },
};
