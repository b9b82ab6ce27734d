import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { CustodyStore } from '@mayak/custody';
import { createLogger, isLoopback, loadConfig, runMigrations } from '@mayak/platform';
import { prepareLocalStack, waitFor } from '@mayak/platform/embedded';
import { definedOnly, withoutMigrationRole } from '../cli-context';
import { CliModule } from '../cli.module';
import { createDemoAccountsOnce, formatDemoAccounts } from '../stack/demo-accounts';
import { Supervisor } from '../stack/supervisor';
import { Command } from './command';

const distApps = path.resolve(__dirname, '..', '..', '..');

const FILE_CUSTODY_WARNING = [
  '',
  'WARNING: KEY_CUSTODY=file. The master key and the caller-recognition key are files under',
  'DATA_DIR/keys, on the same disk as the database: whoever takes this disk can decrypt every',
  'record. This is for trying Mayak and for tests only; production uses KEY_CUSTODY=sealed.',
  '',
].join('\n');

function sealedInstructions(initialised: boolean, url: string): string {
  return [
    '',
    'KEY_CUSTODY=sealed: every process starts sealed; the keys exist only in memory once key',
    'holders unseal.',
    ...(initialised
      ? []
      : [
          'Custody is not set up yet. Create the root secret and its shares (once):',
          '  npm run cli -- custody init --holders 3 --threshold 2',
        ]),
    `Unseal: enter K shares at ${url}, or: npm run cli -- unseal --url ${url}  (one share a line)`,
    'Then create the first admin: npm run cli -- create-admin --username NAME --password-stdin',
    '',
  ].join('\n');
}

/**
 * The demo accounts' passwords and TOTP secrets go to the terminal only when it is one: an
 * output that is not a terminal is a log file, a service journal or a CI transcript, which
 * keep them. Otherwise they are written to a file only its owner can read, and its path is
 * what is printed.
 */
async function showDemoAccounts(text: string, dataDir: string): Promise<string> {
  if (process.stdout.isTTY) return text;
  const file = path.resolve(dataDir, 'demo-accounts.txt');
  await writeFile(file, `${text.trim()}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // a file left from an earlier first run keeps its mode otherwise
  return `\nDemo accounts created (once): their passwords and TOTP secrets are in ${file} (mode 0600).\n`;
}

/**
 * `npm start`: the whole system on embedded defaults. Starts PostgreSQL and Redis when no
 * URLs are configured, applies migrations, creates demo accounts on the first run, then runs
 * the API and the worker as two supervised processes until SIGINT or SIGTERM.
 */
export const startCommand: Command = {
  name: 'start',
  usage: 'start',
  summary: 'run the whole system (embedded PostgreSQL and Redis unless configured)',
  async run() {
    const base = loadConfig();
    const log = (line: string) => process.stdout.write(`${line}\n`);
    log(`Mayak: data in ${path.resolve(base.DATA_DIR)}`);
    const stack = await prepareLocalStack(base, { redis: true });
    stack.notices.forEach(log);
    const config = loadConfig({ ...process.env, ...definedOnly(stack.env) });
    const env = withoutMigrationRole({ ...process.env, ...definedOnly(stack.env) });
    if (stack.postgres) log('PostgreSQL: embedded');
    if (stack.redis) log(`Redis: private redis-server on 127.0.0.1:${stack.redis.port}`);

    const applied = await runMigrations(config.migrationUrl ?? stack.env.DATABASE_URL, {
      appUrl: stack.env.DATABASE_URL,
    });
    if (applied.length) log(`migrations applied: ${applied.join(', ')}`);
    const context = await NestFactory.createApplicationContext(
      CliModule.forRoot(config, createLogger('cli', 'warn')),
      { logger: false, abortOnError: false },
    );
    try {
      if (config.keyCustody === 'file') {
        log(FILE_CUSTODY_WARNING);
        const demo = await createDemoAccountsOnce(context);
        if (demo.length) log(await showDemoAccounts(formatDemoAccounts(demo), config.DATA_DIR));
      } else {
        const initialised = (await context.get(CustodyStore).read()) !== undefined;
        log(sealedInstructions(initialised, `http://${config.HOST}:${config.PORT}`));
      }
    } finally {
      await context.close();
    }

    const supervisor = new Supervisor(env);
    supervisor.add('worker', path.join(distApps, 'worker', 'src', 'main.js'));
    supervisor.add('api', path.join(distApps, 'api', 'src', 'main.js'));

    let shuttingDown: Promise<void> | undefined;
    const shutdown = (signal: string) => {
      shuttingDown ??= (async () => {
        log(`${signal}: stopping`);
        await supervisor.stop();
        await stack.stop();
        log('stopped');
      })();
      return shuttingDown;
    };
    const exitCode = await new Promise<number>((resolve) => {
      process.once('SIGINT', () => void shutdown('SIGINT').then(() => resolve(0)));
      process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => resolve(0)));
      supervisor.onGiveUp = () => void shutdown('failure').then(() => resolve(1));
      const url = `http://${config.HOST}:${config.PORT}`;
      // People open it by name: passkeys (coordinators' and admins' sign-in) refuse an IP address.
      const open =
        config.PUBLIC_URL ?? (isLoopback(config.HOST) ? `http://localhost:${config.PORT}` : url);
      waitFor('the API', () => fetch(`${url}/api/health`).then((r) => r.ok), 60_000, 200)
        .then(() =>
          log(
            config.keyCustody === 'sealed'
              ? `Mayak is up, sealed: ${open} shows the unseal screen until key holders unseal it`
              : `Mayak is up: ${open} (API docs at ${open}/api/docs)`,
          ),
        )
        .catch(() => log('the API did not become healthy within 60 s; see the log above'));
    });
    return exitCode;
  },
};
