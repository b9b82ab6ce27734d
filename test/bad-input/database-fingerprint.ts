import { DataSource } from 'typeorm';

/**
 * What a rejected request may change on purpose, and why:
 * - audit_entries: denials and failed sign-ins are recorded (audit_unlinked queues them, and
 *   audit_links receives their links when the chainer runs);
 * - sessions.last_seen_at: every authenticated request keeps its session alive;
 * - sign_in_throttle: failed sign-ins slow their address down (SignInThrottle);
 * - passkey_challenges: a passkey ceremony's challenge is spent by its first answer, right or
 *   wrong, so that no challenge can be tried twice (PasskeyService.takeChallenge).
 */
export const MAY_CHANGE: Record<string, '*' | string[]> = {
  audit_entries: '*',
  audit_unlinked: '*',
  audit_links: '*',
  sessions: ['last_seen_at'],
  sign_in_throttle: '*',
  passkey_challenges: '*',
};

export type Fingerprint = Map<string, string>;

/**
 * A checksum of every row of every table in the public schema (new tables included as
 * migrations add them), one query for the whole database.
 */
export class DatabaseFingerprint {
  private constructor(
    private readonly db: DataSource,
    private readonly sql: string,
  ) {}

  static async of(db: DataSource): Promise<DatabaseFingerprint> {
    const columns: Array<{ table_name: string; column_name: string }> = await db.query(
      `SELECT c.table_name, c.column_name
         FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        ORDER BY c.table_name, c.ordinal_position`,
    );
    const tables = new Map<string, string[]>();
    for (const { table_name: table, column_name: column } of columns) {
      const skip = MAY_CHANGE[table];
      if (skip === '*' || skip?.includes(column)) continue;
      tables.set(table, [...(tables.get(table) ?? []), column]);
    }
    if (!tables.has('users')) throw new Error('no users table: is the database migrated?');
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const sql = [...tables]
      .map(
        ([table, cols]) =>
          `SELECT '${table.replace(/'/g, "''")}' AS name, count(*)::int AS rows,
                  md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) AS sum
             FROM (SELECT ROW(${cols.map(quote).join(', ')})::text AS r FROM ${quote(table)}) s`,
      )
      .join('\nUNION ALL\n');
    return new DatabaseFingerprint(db, sql);
  }

  async take(): Promise<Fingerprint> {
    const rows: Array<{ name: string; rows: number; sum: string }> = await this.db.query(this.sql);
    return new Map(rows.map((r) => [r.name, `${r.rows} rows, ${r.sum}`]));
  }
}

export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  return [...after].filter(([table, sum]) => before.get(table) !== sum).map(([table]) => table);
}
