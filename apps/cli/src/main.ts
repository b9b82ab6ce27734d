import 'reflect-metadata';
import { ConfigError, describeError } from '@mayak/platform';
import { EmbeddedServiceError } from '@mayak/platform/embedded';
import { UsageError } from './cli-context';
import { auditCommand } from './commands/audit.command';
import { backupCommand } from './commands/backup.command';
import { Command } from './commands/command';
import { createAdminCommand, createUserCommand } from './commands/create-user.command';
import { custodyCommand } from './commands/custody.command';
import { lockdownCommand } from './commands/lockdown.command';
import { migrateCommand } from './commands/migrate.command';
import { restoreCommand } from './commands/restore.command';
import { retentionCommand } from './commands/retention.command';
import { rotateKeysCommand } from './commands/rotate-keys.command';
import { seedCommand } from './commands/seed.command';
import { startCommand } from './commands/start.command';
import { totpCommand } from './commands/totp.command';
import { unsealCommand } from './commands/unseal.command';
import { verifyAuditCommand } from './commands/verify-audit.command';

const COMMANDS: Command[] = [
  startCommand,
  migrateCommand,
  createUserCommand,
  createAdminCommand,
  verifyAuditCommand,
  auditCommand,
  totpCommand,
  seedCommand,
  custodyCommand,
  unsealCommand,
  lockdownCommand,
  backupCommand,
  restoreCommand,
  rotateKeysCommand,
  retentionCommand,
];

function help(): string {
  return [
    'usage: npm run cli -- <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`),
    '',
    'Without DATABASE_URL the commands use the embedded database under DATA_DIR (./var).',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...args] = argv;
  if (!verb || verb === 'help' || verb === '--help') {
    process.stdout.write(`${help()}\n`);
    return verb ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === verb);
  if (!command) {
    process.stderr.write(`unknown command: ${verb}\n\n${help()}\n`);
    return 2;
  }
  process.title = `mayak-${command.name}`;
  try {
    return await command.run(args);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError &&
        (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`${error.message}\nusage: npm run cli -- ${command.usage}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof EmbeddedServiceError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    const known =
      error instanceof Error && error.name.endsWith('Exception') ? error.message : undefined;
    process.stderr.write(
      `${command.name} failed: ${known ?? JSON.stringify(describeError(error))}\n`,
    );
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
