import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeBackup } from '@mayak/backup';
import { UsageError, withOwnerDatabase } from '../cli-context';
import { Command } from './command';

export const backupCommand: Command = {
  name: 'backup',
  usage:
    'backup --out FILE [--keystore-out FILE] [--recipients FILE | --recipient AGE_PUBLIC_KEY ...]',
  summary:
    'write a consistent backup of the database, encrypted with age to the given recipients (default: BACKUP_RECIPIENTS_FILE), and replace the keystore export beside it (keystore.age)',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        recipient: { type: 'string', multiple: true },
        recipients: { type: 'string' },
        'keystore-out': { type: 'string' },
      },
      strict: true,
    });
    if (!values.out) throw new UsageError('--out FILE is required');
    const out = values.out;
    const keystoreOut = values['keystore-out'] ?? path.join(path.dirname(out), 'keystore.age');
    const { summary, keystore } = await withOwnerDatabase(async (databaseUrl, config) => {
      const recipients = {
        recipients: values.recipient ?? [],
        recipientsFile:
          values.recipients ??
          (values.recipient?.length ? undefined : config.BACKUP_RECIPIENTS_FILE),
      };
      const summary = await writeBackup({ databaseUrl, out, ...recipients });
      // Replaced, never accumulated: an old export would still hold keys destroyed since.
      const keystore = await writeBackup({
        databaseUrl,
        out: keystoreOut,
        ...recipients,
        contents: 'keystore',
        replace: true,
      });
      return { summary, keystore };
    });
    process.stdout.write(
      `backup written: ${summary.file} (${summary.tables} tables, ${summary.rows} rows, schema ${summary.schema}, ${summary.bytes} bytes)\n` +
        `keystore export replaced: ${keystore.file} (${keystore.rows} key generations). Keep only the newest keystore export; restore needs it with --keystore.\n`,
    );
    return 0;
  },
};
