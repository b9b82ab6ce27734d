import { LockdownService } from '@mayak/custody';
import { withCliContext } from '../cli-context';
import { Command } from './command';

export const lockdownCommand: Command = {
  name: 'lockdown',
  usage: 'lockdown',
  summary: 'seal every Mayak process at once and end every session; K key holders must unseal',
  async run() {
    await withCliContext((app) => app.get(LockdownService).lockdown('operator', 'cli'), {
      needsKeys: false,
    });
    process.stdout.write('locked down: every process is sealed and every session ended\n');
    return 0;
  },
};
