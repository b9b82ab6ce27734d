import { loadConfig, runMigrations } from '@mayak/platform';
import { prepareLocalStack } from '@mayak/platform/embedded';
import { Command } from './command';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'migrate',
  summary: 'apply pending database migrations',
  async run() {
    const stack = await prepareLocalStack(loadConfig(), { redis: false });
    try {
      const applied = await runMigrations(stack.env.DATABASE_URL);
      process.stdout.write(
        applied.length ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n',
      );
      return 0;
    } finally {
      await stack.stop();
    }
  },
};
