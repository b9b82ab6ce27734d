import { parseArgs } from 'node:util';
import { AccountAdminService, OPERATOR } from '@mayak/accounts';
import { isRole, Role } from '@mayak/identity';
import { readStdin, UsageError, withCliContext } from '../cli-context';
import { Command } from './command';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;

async function createUser(args: string[], forcedRoles: Role[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      username: { type: 'string' },
      roles: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
    strict: true,
  });
  const username = values.username?.trim().toLowerCase();
  if (!username || !USERNAME.test(username))
    throw new UsageError(
      '--username must be 2–63 lowercase letters, digits, dots, dashes or underscores',
    );
  const requested = (values.roles ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = requested.filter((r) => !isRole(r));
  if (unknown.length > 0) throw new UsageError(`unknown role(s): ${unknown.join(', ')}`);
  const roles = [...new Set([...(requested as Role[]), ...forcedRoles])];
  if (roles.length === 0) throw new UsageError('--roles needs at least one role');
  if (!values['password-stdin'])
    throw new UsageError('give the password on standard input with --password-stdin');
  const password = await readStdin();
  if (password.length < 12 || password.length > 256)
    throw new UsageError('the password must be 12 to 256 characters');

  const created = await withCliContext((app) =>
    app.get(AccountAdminService).create(OPERATOR, { username, password, roles }),
  );
  process.stdout.write(
    `${JSON.stringify({ id: created.id, username: created.username, roles: created.roles, totpSecret: created.totpSecret })}\n`,
  );
  return 0;
}

export const createUserCommand: Command = {
  name: 'create-user',
  usage: 'create-user --username NAME --roles lawyer,volunteer --password-stdin',
  summary: 'create an account with a second factor; prints { id, username, roles, totpSecret }',
  run: (args) => createUser(args, []),
};

export const createAdminCommand: Command = {
  name: 'create-admin',
  usage: 'create-admin --username NAME --password-stdin',
  summary: 'the same, with the admin role',
  run: (args) => createUser(args, ['admin']),
};
