import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { AppConfig } from '../config';
import { EmbeddedPostgres } from './embedded-postgres';
import { EmbeddedRedis } from './embedded-redis';

/** What the embedded default adds to the environment of the processes it starts. */
export interface LocalStack {
  env: {
    /** The application's role (no superuser, owns nothing). */
    DATABASE_URL: string;
    /** The owner's, for migrations only: never handed to the API or the worker. */
    DATABASE_MIGRATION_URL?: string;
    REDIS_URL?: string;
    MASTER_KEY_FILE?: string;
    CALLER_HASH_KEY_FILE?: string;
    NODE_CREDENTIAL_FILE?: string;
    KEY_CUSTODY?: 'sealed';
  };
  /** One-off messages for the operator (a key was generated, say). */
  notices: string[];
  postgres?: EmbeddedPostgres;
  redis?: EmbeddedRedis;
  /** Stops what this call started (a server it found already running is left alone). */
  stop(): Promise<void>;
}

/**
 * The embedded default: with no DATABASE_URL a private PostgreSQL under DATA_DIR/postgres,
 * with no REDIS_URL (and when asked for) a private redis-server under DATA_DIR/redis, and
 * keys generated under DATA_DIR/keys (mode 0600) unless given. Data survives restarts.
 * The embedded PostgreSQL's superuser `mayak` owns the schema and runs migrations; the
 * application connects as `mayak_app`, which migrations create (see ensureAppRole).
 */
export async function prepareLocalStack(
  config: AppConfig,
  options: { redis: boolean },
): Promise<LocalStack> {
  const sealed = config.keyCustody === 'sealed' || (await embeddedSealed(config));
  const embeddedNeeded =
    !config.DATABASE_URL ||
    (options.redis && !config.REDIS_URL && !config.REDIS_SENTINELS) ||
    (sealed
      ? !config.NODE_CREDENTIAL && !config.NODE_CREDENTIAL_FILE
      : (!config.MASTER_KEY && !config.MASTER_KEY_FILE) ||
        (!config.CALLER_HASH_KEY && !config.CALLER_HASH_KEY_FILE));
  if (!embeddedNeeded && config.DATABASE_URL) {
    // Everything is configured (production): touch nothing on disk.
    return {
      env: {
        DATABASE_URL: config.DATABASE_URL,
        DATABASE_MIGRATION_URL: config.DATABASE_MIGRATION_URL,
      },
      notices: [],
      stop: () => Promise.resolve(),
    };
  }
  const dataDir = path.resolve(config.DATA_DIR);
  await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });
  const keysDir = path.join(dataDir, 'keys');
  await fs.mkdir(keysDir, { recursive: true, mode: 0o700 });
  await fs.chmod(keysDir, 0o700);
  const notices: string[] = [];
  const env: LocalStack['env'] = {
    DATABASE_URL: config.DATABASE_URL ?? '',
    DATABASE_MIGRATION_URL: config.DATABASE_MIGRATION_URL,
    ...(sealed ? { KEY_CUSTODY: 'sealed' as const } : {}),
  };

  if (sealed && !config.NODE_CREDENTIAL && !config.NODE_CREDENTIAL_FILE) {
    // Not a key to any data: it lets this machine's processes hand each other the root
    // secret once key holders have unsealed one of them.
    env.NODE_CREDENTIAL_FILE = await ensureSecretFile(keysDir, 'node.credential', () =>
      randomBytes(32).toString('base64'),
    );
  }
  if (!sealed && !config.MASTER_KEY && !config.MASTER_KEY_FILE) {
    env.MASTER_KEY_FILE = await ensureSecretFile(
      keysDir,
      'master.key',
      () => randomBytes(32).toString('base64'),
      (file) =>
        notices.push(
          `Generated a master key at ${file} (mode 0600). Everything encrypted depends on it: back it up, apart from the database.`,
        ),
    );
  }
  if (!sealed && !config.CALLER_HASH_KEY && !config.CALLER_HASH_KEY_FILE) {
    env.CALLER_HASH_KEY_FILE = await ensureSecretFile(
      keysDir,
      'caller-hash.key',
      () => randomBytes(32).toString('base64'),
      (file) =>
        notices.push(
          `Generated the caller-recognition key at ${file} (mode 0600). Back it up with the master key.`,
        ),
    );
  }

  let postgres: EmbeddedPostgres | undefined;
  let startedPostgres = false;
  if (!config.DATABASE_URL) {
    const password = await fs.readFile(
      await ensureSecretFile(keysDir, 'postgres.password', () =>
        randomBytes(24).toString('base64url'),
      ),
      'utf8',
    );
    postgres = new EmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      user: 'mayak',
      password: password.trim(),
      settings: { max_connections: '200', shared_buffers: '128MB' },
    });
    startedPostgres = (await postgres.runningPort()) === undefined;
    const port = await postgres.start();
    await ensureDatabase(postgres.url(port, 'postgres'), 'mayak');
    env.DATABASE_MIGRATION_URL = postgres.url(port, 'mayak');
    // A data directory from before the application had its own role gets one the same way.
    const appPassword = await fs.readFile(
      await ensureSecretFile(keysDir, 'postgres-app.password', () =>
        randomBytes(24).toString('base64url'),
      ),
      'utf8',
    );
    const appUrl = new URL(env.DATABASE_MIGRATION_URL);
    appUrl.username = EMBEDDED_APP_ROLE;
    appUrl.password = encodeURIComponent(appPassword.trim());
    env.DATABASE_URL = appUrl.toString();
  }

  let redis: EmbeddedRedis | undefined;
  if (options.redis && !config.REDIS_URL && !config.REDIS_SENTINELS) {
    const password = await fs.readFile(
      await ensureSecretFile(keysDir, 'redis.password', () =>
        randomBytes(24).toString('base64url'),
      ),
      'utf8',
    );
    redis = new EmbeddedRedis({
      dir: path.join(dataDir, 'redis'),
      password: password.trim(),
      persistent: true,
    });
    try {
      await redis.start();
    } catch (error) {
      if (startedPostgres) await postgres?.stop().catch(() => undefined);
      throw error;
    }
    env.REDIS_URL = redis.url();
  }

  return {
    env,
    notices,
    postgres,
    redis,
    async stop() {
      await redis?.stop();
      if (startedPostgres) await postgres?.stop();
    },
  };
}

/** The embedded PostgreSQL's role for the application (its superuser `mayak` owns the schema). */
export const EMBEDDED_APP_ROLE = 'mayak_app';

/**
 * An embedded installation started once with KEY_CUSTODY=sealed stays sealed: a later command
 * run without the variable must not mint key files beside the data (and encrypt with them).
 * It is recognised by its node credential and the absence of a master key file.
 */
async function embeddedSealed(config: AppConfig): Promise<boolean> {
  if (config.KEY_CUSTODY) return false;
  const keysDir = path.join(path.resolve(config.DATA_DIR), 'keys');
  const exists = (name: string) =>
    fs.access(path.join(keysDir, name)).then(
      () => true,
      () => false,
    );
  return (await exists('node.credential')) && !(await exists('master.key'));
}

async function ensureSecretFile(
  dir: string,
  name: string,
  generate: () => string,
  onCreate?: (file: string) => void,
): Promise<string> {
  const file = path.join(dir, name);
  try {
    await fs.writeFile(file, `${generate()}\n`, { mode: 0o600, flag: 'wx' });
    onCreate?.(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return file;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0)
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
