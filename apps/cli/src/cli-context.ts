import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { AppConfig, createLogger, KeyRing, loadConfig, runMigrations } from '@mayak/platform';
import { prepareLocalStack, waitFor } from '@mayak/platform/embedded';
import { CliModule } from './cli.module';

/**
 * Runs an operator command against the configured database, or the embedded one: the one
 * `npm start` is running, or, when it is not running, started just for this command.
 */
export async function withCliContext<T>(
  fn: (app: INestApplicationContext, config: AppConfig) => Promise<T>,
  options: { needsKeys: boolean } = { needsKeys: true },
): Promise<T> {
  const base = loadConfig();
  const stack = await prepareLocalStack(base, { redis: false });
  try {
    for (const notice of stack.notices) process.stderr.write(`${notice}\n`);
    const config = loadConfig({ ...process.env, ...definedOnly(stack.env) });
    // The command itself works as the application's role (DATABASE_URL), like the API.
    await runMigrations(config.migrationUrl ?? stack.env.DATABASE_URL, {
      appUrl: stack.env.DATABASE_URL,
    });
    // Standard output is the command's answer (often one JSON line); its log goes to stderr.
    const logger = createLogger('cli', process.env.LOG_LEVEL ?? 'warn', pino.destination(2));
    const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, logger), {
      logger: false,
      abortOnError: false,
    });
    try {
      if (options.needsKeys) await awaitKeys(app.get(KeyRing));
      return await fn(app, config);
    } finally {
      await app.close();
    }
  } finally {
    await stack.stop();
  }
}

/**
 * In sealed custody a command that needs keys gets them as any sealed process does: from a
 * running, unsealed peer that checks this machine's node credential. Without one, it stops.
 */
async function awaitKeys(ring: KeyRing): Promise<void> {
  if (!ring.sealed) return;
  await waitFor('keys from an unsealed peer', () => Promise.resolve(!ring.sealed), 5_000).catch(
    () => {
      throw new UsageError(
        'Mayak is sealed: this command needs the keys, which it takes from a running, unsealed Mayak process. Unseal first (npm run cli -- unseal), then run it again.',
      );
    },
  );
}

/**
 * Runs fn with the credentials that may change the schema (the owner's; `migrate`, `backup`
 * and `restore` use these, and only these), and the application's own connection, whose
 * role migrations give its rights.
 */
export async function withOwnerDatabase<T>(
  fn: (ownerUrl: string, config: AppConfig, appUrl: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const stack = await prepareLocalStack(config, { redis: false });
  try {
    for (const notice of stack.notices) process.stderr.write(`${notice}\n`);
    return await fn(
      stack.env.DATABASE_MIGRATION_URL ?? stack.env.DATABASE_URL,
      config,
      stack.env.DATABASE_URL,
    );
  } finally {
    await stack.stop();
  }
}

/** What the API and the worker get: the owner's connection stays with the launcher. */
export function withoutMigrationRole(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_MIGRATION_URL, DATABASE_MIGRATION_PASSWORD_FILE, ...rest } = env;
  void DATABASE_MIGRATION_URL;
  void DATABASE_MIGRATION_PASSWORD_FILE;
  return rest;
}

export function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '',
    ),
  );
}

export async function readStdin(flag = '--password-stdin', what = 'the password'): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError(`${flag} expects ${what} on standard input`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
