import { DataSource } from 'typeorm';
import { AppRoleResult, ensureAppRole } from './app-role';
import { dataSourceOptions } from './data-source-options';

export interface MigrationOptions {
  /**
   * The application's own connection (`DATABASE_URL`). When its role differs from the
   * migrating one, that role is created if missing and given the application's rights, and no
   * more (see app-role.ts).
   */
  appUrl?: string;
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
  const db = new DataSource(
    dataSourceOptions({ url, poolSize: 2, applicationName: 'mayak-migrate' }),
  );
  await db.initialize();
  const lock = db.createQueryRunner();
  try {
    await lock.connect();
    await lock.query(`SELECT pg_advisory_lock(hashtext('mayak.migrations'))`);
    const applied = (await db.runMigrations({ transaction: 'each' })).map((m) => m.name);
    const appRole = options.appUrl ? await ensureAppRole(url, options.appUrl) : undefined;
    return { applied, appRole };
  } finally {
    await lock
      .query(`SELECT pg_advisory_unlock(hashtext('mayak.migrations'))`)
      .catch(() => undefined);
    await lock.release();
    await db.destroy();
  }
}
