import { EntityManager } from 'typeorm';

/** A clock hour or a day (UTC): the window a per-account limit counts in. */
export type CounterWindow = 'hour' | 'day';

/**
 * What one account did, by kind: `caller_lookup` (hourly), `case_decline` and
 * `consent_withdrawal` (daily).
 */
export type CounterKind = 'caller_lookup' | 'case_decline' | 'consent_withdrawal';

/**
 * Counts per account, kind and window (`staff_counters`), for the limits on what one staff
 * account may do in an hour or a day. A row holds an account, a kind, the window's start and a
 * count: no caller, case or number. The retention sweep deletes windows older than two days.
 *
 * Counts one more in the current window and returns the new count; with `limit`, only while
 * under it: at the limit nothing changes and the result is undefined.
 */
export async function countUp(
  em: EntityManager,
  userId: string,
  kind: CounterKind,
  window: CounterWindow,
  limit?: number,
): Promise<{ count: number; windowStart: Date } | undefined> {
  const rows: Array<{ count: number; window_start: Date }> = await em.query(
    `INSERT INTO staff_counters (user_id, kind, window_start, count)
     VALUES ($1, $2, date_trunc($3, now()), 1)
     ON CONFLICT (user_id, kind, window_start)
       DO UPDATE SET count = staff_counters.count + 1
       WHERE $4::int IS NULL OR staff_counters.count < $4::int
     RETURNING count, window_start`,
    [userId, kind, window, limit ?? null],
  );
  return rows[0] ? { count: rows[0].count, windowStart: rows[0].window_start } : undefined;
}

/** The count of the current window (0 when there is none). */
export async function countOf(
  em: EntityManager,
  userId: string,
  kind: CounterKind,
  window: CounterWindow,
): Promise<number> {
  const rows: Array<{ count: number }> = await em.query(
    `SELECT count FROM staff_counters
      WHERE user_id = $1 AND kind = $2 AND window_start = date_trunc($3, now())`,
    [userId, kind, window],
  );
  return rows[0]?.count ?? 0;
}
