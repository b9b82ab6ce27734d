import { runMigrations } from '@mayak/platform';
import { withOwnerDatabase } from '../cli-context';
import { Command } from './command';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'migrate',
  summary: 'apply pending database migrations',
  async run() {
    const applied = await withOwnerDatabase((url) => runMigrations(url));
    process.stdout.write(
      applied.length ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n',
    );
    return 0;
  },
};
