import { DataSource } from 'typeorm';
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

/**
 * Runs pending migrations, one transaction each, under an advisory lock so that two
 * processes starting at once do not both try. `through` stops at the named migration: a
 * restore rebuilds the schema a backup was made at, no newer, before loading its rows.
 */
export async function runMigrations(
  url: string,
  options: { through?: string } = {},
): Promise<string[]> {
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
    const applied = await db.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lock.query(`SELECT pg_advisory_unlock(${MIGRATIONS_LOCK})`).catch(() => undefined);
    await lock.release();
    await db.destroy();
  }
}
