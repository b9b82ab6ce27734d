import { DataSource } from 'typeorm';
import { AppRoleResult, ensureAppRole } from './app-role';
import { dataSourceOptions } from './data-source-options';
import { MIGRATIONS } from './migrations';

/**
 * The advisory lock migrations run under. A backup holds it shared, so that no migration
 * changes the schema while its snapshot is read.
 */
export const MIGRATIONS_LOCK = `hashtext('mayak.migrations')`;

/** The names of every migration this build knows, oldest first, as TypeORM records them. */
export function migrationNames(): string[] {
  return MIGRATIONS.map((migration) => new migration().name);
}

export interface MigrationOptions {
  /**
   * The application's own connection (`DATABASE_URL`). When its role differs from the
   * migrating one, that role is created if missing and given the application's rights, and no
   * more (see app-role.ts).
   */
  appUrl?: string;
  /**
   * Stops at the named migration: a restore rebuilds the schema a backup was made at, no
   * newer, before loading its rows.
   */
  through?: string;
}

/**
 * Runs pending migrations as the owner of the schema, one transaction each, under an advisory
 * lock so that two processes starting at once do not both try; then grants the application's
 * role its rights, under the same lock (concurrent GRANTs on one object fail).
 */
export async function runMigrations(
  url: string,
  options: MigrationOptions = {},
): Promise<string[]> {
  return (await migrateDatabase(url, options)).applied;
}

export async function migrateDatabase(
  url: string,
  options: MigrationOptions = {},
): Promise<{ applied: string[]; appRole?: AppRoleResult }> {
  const base = dataSourceOptions({ url, poolSize: 2, applicationName: 'mayak-migrate' });
  const through = options.through ? migrationNames().indexOf(options.through) : -1;
  if (options.through && through < 0) throw new Error(`unknown migration ${options.through}`);
  const db = new DataSource(
    options.through ? { ...base, migrations: MIGRATIONS.slice(0, through + 1) } : base,
  );
  await db.initialize();
  const lock = db.createQueryRunner();
  try {
    await lock.connect();
    await lock.query(`SELECT pg_advisory_lock(${MIGRATIONS_LOCK})`);
    const applied = (await db.runMigrations({ transaction: 'each' })).map((m) => m.name);
    const appRole = options.appUrl ? await ensureAppRole(url, options.appUrl) : undefined;
    return { applied, appRole };
  } finally {
    await lock.query(`SELECT pg_advisory_unlock(${MIGRATIONS_LOCK})`).catch(() => undefined);
    await lock.release();
    await db.destroy();
  }
}
