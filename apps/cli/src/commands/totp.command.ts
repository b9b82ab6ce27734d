import { parseArgs } from 'node:util';
import { totpCode } from '@mayak/identity';
import { UsageError } from '../cli-context';
import { Command } from './command';

/** For trying the system from a terminal (curl) without an authenticator app at hand. */
export const totpCommand: Command = {
  name: 'totp',
  usage: 'totp --secret BASE32',
  summary: 'print the current TOTP code for a secret (for demos and scripts)',
  run(args) {
    const { values } = parseArgs({ args, options: { secret: { type: 'string' } }, strict: true });
    if (!values.secret || !/^[A-Z2-7]+=*$/.test(values.secret))
      throw new UsageError('--secret must be a base32 TOTP secret');
    process.stdout.write(`${totpCode(values.secret)}\n`);
    return Promise.resolve(0);
  },
};
