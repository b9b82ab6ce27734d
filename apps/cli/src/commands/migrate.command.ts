import { loadConfig, migrateDatabase } from '@mayak/platform';
import { prepareLocalStack } from '@mayak/platform/embedded';
import { Command } from './command';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'migrate',
  summary:
    "apply pending database migrations as DATABASE_MIGRATION_URL's role, and give DATABASE_URL's role the application's rights",
  async run() {
    const stack = await prepareLocalStack(loadConfig(), { redis: false });
    try {
      const { applied, appRole } = await migrateDatabase(
        stack.env.DATABASE_MIGRATION_URL ?? stack.env.DATABASE_URL,
        { appUrl: stack.env.DATABASE_URL },
      );
      process.stdout.write(
        applied.length ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n',
      );
      if (appRole?.created)
        process.stdout.write(`created the application's database role ${appRole.role}\n`);
      return 0;
    } finally {
      await stack.stop();
    }
  },
};
