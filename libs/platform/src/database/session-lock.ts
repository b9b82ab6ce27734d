import { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `work` holding the session-level advisory lock `name` on a connection of its own, so
 * that one such job runs at a time across every process. With 'try' it does not queue behind
 * a holder: it returns undefined at once (the holder, or the next run, covers the work). The
 * lock goes with the connection, whatever `work` does; `work` gets that connection's manager.
 */
export async function withSessionLock<T>(
  db: DataSource,
  name: string,
  mode: 'wait' | 'try',
  work: (em: EntityManager) => Promise<T>,
): Promise<T | undefined> {
  const runner = db.createQueryRunner();
  await runner.connect();
  let held = false;
  try {
    if (mode === 'wait') {
      await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [name]);
      held = true;
    } else {
      const [{ locked }] = (await runner.query(
        `SELECT pg_try_advisory_lock(hashtext($1)) AS locked`,
        [name],
      )) as Array<{ locked: boolean }>;
      held = locked;
      if (!held) return undefined;
    }
    return await work(runner.manager);
  } finally {
    if (held)
      await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [name]).catch(() => undefined);
    await runner.release();
  }
}
