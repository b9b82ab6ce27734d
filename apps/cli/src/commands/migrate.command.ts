import { migrateDatabase } from '@mayak/platform';
import { withOwnerDatabase } from '../cli-context';
import { Command } from './command';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'migrate',
  summary:
    "apply pending database migrations as DATABASE_MIGRATION_URL's role, and give DATABASE_URL's role the application's rights",
  async run() {
    const { applied, appRole } = await withOwnerDatabase((ownerUrl, _config, appUrl) =>
      migrateDatabase(ownerUrl, { appUrl }),
    );
    process.stdout.write(
      applied.length ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n',
    );
    if (appRole?.created)
      process.stdout.write(`created the application's database role ${appRole.role}\n`);
    return 0;
  },
};
