import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/**
 * Runs pending migrations, one transaction each, under an advisory lock so that two
 * processes starting at once do not both try.
 */
export async function runMigrations(url: string): Promise<string[]> {
  const db = new DataSource(
    dataSourceOptions({ url, poolSize: 2, applicationName: 'mayak-migrate' }),
  );
  await db.initialize();
  const lock = db.createQueryRunner();
  try {
    await lock.connect();
    await lock.query(`SELECT pg_advisory_lock(hashtext('mayak.migrations'))`);
    const applied = await db.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lock
      .query(`SELECT pg_advisory_unlock(hashtext('mayak.migrations'))`)
      .catch(() => undefined);
    await lock.release();
    await db.destroy();
  }
}
