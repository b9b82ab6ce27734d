import { parseArgs } from 'node:util';
import { restoreBackup } from '@mayak/backup';
import { UsageError, withOwnerDatabase } from '../cli-context';
import { Command } from './command';

export const restoreCommand: Command = {
  name: 'restore',
  usage: 'restore --in FILE --identity AGE_IDENTITY_FILE [--keystore KEYSTORE_FILE]',
  summary:
    'restore a backup into an empty database (stop the API and worker first); refuses a database with data',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        in: { type: 'string' },
        identity: { type: 'string' },
        keystore: { type: 'string' },
      },
      strict: true,
    });
    if (!values.in) throw new UsageError('--in FILE is required');
    if (!values.identity) throw new UsageError('--identity AGE_IDENTITY_FILE is required');
    const input = values.in;
    const identity = values.identity;
    const summary = await withOwnerDatabase((databaseUrl, _config, appUrl) =>
      restoreBackup({ databaseUrl, appUrl, in: input, identity, keystore: values.keystore }),
    );
    const newer = summary.newerMigrations
      ? `; ${summary.newerMigrations} newer migration(s) are pending: \`migrate\` (or the next start) applies them`
      : '';
    process.stdout.write(
      `restored: ${summary.tables} tables, ${summary.rows} rows, schema ${summary.schema}${newer}. Check the audit chain with \`verify-audit\`.\n`,
    );
    return 0;
  },
};
