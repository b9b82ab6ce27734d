import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client, types } from 'pg';

/**
 * Everything a seizure of the switched-off server gives, with no key: every table (read as
 * the superuser, columns as the catalog lists them), PostgreSQL's log and its WAL, the
 * application's log lines and every key in Redis.
 */
export interface Seizure {
  tables: SeizedTable[];
  /** Text and bytes that are not table rows: log lines, Redis values, WAL segments. */
  documents: SeizedDocument[];
  /** What was looked for and not found, so the report can say what the attacker lacked. */
  missing: string[];
}

export interface SeizedTable {
  name: string;
  columns: Array<{ name: string; type: string }>;
  /** The single-column primary key, if the table has one. */
  primaryKey?: string;
  /** Every column of the primary key. */
  keyColumns: string[];
  rows: Array<Record<string, unknown>>;
}

export interface SeizedDocument {
  source: 'app-log' | 'postgres-log' | 'redis' | 'wal';
  name: string;
  /** Read when needed: WAL segments are 16 MiB each, too many to hold at once. */
  content: () => Promise<string | Buffer>;
}

export async function seize(options: {
  superuserUrl: string;
  redisUrl: string;
  /** Only Redis keys under this prefix (the test Redis may be shared with other runs). */
  redisPrefix: string;
  appLogs: string[];
  /** Only WAL segments written since this moment (older ones belong to other databases). */
  walSince: Date;
  /** Where the copied WAL segments go (the caller removes it). */
  dir: string;
}): Promise<Seizure> {
  const missing: string[] = [];
  const db = new Client({ connectionString: options.superuserUrl, types: rawDates() });
  await db.connect();
  try {
    const tables = await readTables(db);
    let documents: SeizedDocument[] = options.appLogs.map((line, i) => ({
      source: 'app-log' as const,
      name: `app-log:${i}`,
      content: () => Promise.resolve(line),
    }));
    documents = documents.concat(
      await postgresLogs(db, missing),
      await redisContents(options.redisUrl, options.redisPrefix),
      await walSegments(db, options.walSince, options.dir, missing),
    );
    return { tables, documents, missing };
  } finally {
    await db.end();
  }
}

/** Dates as the text PostgreSQL sends: a `date` is a calendar day, not a local midnight. */
function rawDates() {
  return {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === 1082 ? (value: string) => value : types.getTypeParser(oid, format ?? 'text'),
  } as typeof types;
}

async function readTables(db: Client): Promise<SeizedTable[]> {
  const { rows: columns } = await db.query<{ table: string; column: string; type: string }>(
    `SELECT c.table_name AS table, c.column_name AS column, c.data_type AS type
       FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
      ORDER BY c.table_name, c.ordinal_position`,
  );
  const { rows: keys } = await db.query<{ table: string; columns: string[] }>(
    `SELECT k.table_name AS table, array_agg(k.column_name::text) AS columns
       FROM information_schema.table_constraints c
       JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
      WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public'
      GROUP BY k.table_name`,
  );
  const tables = new Map<string, SeizedTable>();
  for (const { table, column, type } of columns) {
    const t = tables.get(table) ?? { name: table, columns: [], keyColumns: [], rows: [] };
    t.columns.push({ name: column, type });
    tables.set(table, t);
  }
  for (const { table, columns: keyColumns } of keys) {
    const t = tables.get(table);
    if (!t) continue;
    t.keyColumns = keyColumns;
    if (keyColumns.length === 1) t.primaryKey = keyColumns[0];
  }
  for (const t of tables.values())
    t.rows = (await db.query(`SELECT * FROM ${db.escapeIdentifier(t.name)}`)).rows as Array<
      Record<string, unknown>
    >;
  return [...tables.values()];
}

/** The server's own log: through SQL when it writes it into its data folder, else /var/log. */
async function postgresLogs(db: Client, missing: string[]): Promise<SeizedDocument[]> {
  const found: SeizedDocument[] = [];
  try {
    const { rows } = await db.query<{ name: string; content: string }>(
      `SELECT name, pg_read_file(current_setting('log_directory') || '/' || name) AS content
         FROM pg_ls_logdir()`,
    );
    for (const r of rows)
      found.push({
        source: 'postgres-log',
        name: r.name,
        content: () => Promise.resolve(r.content),
      });
  } catch {
    // No logging collector: the log went to stderr, which Debian's wrapper keeps in /var/log.
  }
  const { rows } = await db.query<{ dir: string }>(
    `SELECT current_setting('data_directory') AS dir`,
  );
  for (const dir of ['/var/log/postgresql', path.dirname(rows[0].dir)]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => /\.log$/.test(n)))
      try {
        const content = readFileSync(path.join(dir, name), 'utf8');
        found.push({ source: 'postgres-log', name, content: () => Promise.resolve(content) });
      } catch {
        // not readable by this user
      }
  }
  if (found.length === 0) missing.push("PostgreSQL's log (not readable from here)");
  return found;
}

/**
 * The segments PostgreSQL keeps at the moment of the seizure, copied through SQL
 * (pg_read_binary_file, as the superuser, so that it works whoever owns the data folder) into
 * `dir`, and read back one at a time. Only those written since the run began: on a shared
 * server the older ones hold other databases' work.
 */
async function walSegments(
  db: Client,
  since: Date,
  dir: string,
  missing: string[],
): Promise<SeizedDocument[]> {
  try {
    const { rows } = await db.query<{ name: string }>(
      `SELECT name FROM pg_ls_waldir() WHERE modification >= $1 AND name ~ '^[0-9A-F]{24}$' ORDER BY name`,
      [since],
    );
    const segments: SeizedDocument[] = [];
    for (const { name } of rows) {
      try {
        const r = await db.query<{ bytes: Buffer }>(
          `SELECT pg_read_binary_file('pg_wal/' || $1::text) AS bytes`,
          [name],
        );
        await writeFile(path.join(dir, name), r.rows[0].bytes);
      } catch {
        continue; // recycled between the listing and the copy
      }
      segments.push({ source: 'wal', name, content: () => readFile(path.join(dir, name)) });
    }
    return segments;
  } catch (error) {
    missing.push(`the WAL (${(error as Error).message})`);
    return [];
  }
}

async function redisContents(url: string, prefix: string): Promise<SeizedDocument[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    const documents: SeizedDocument[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        let value: unknown;
        if (type === 'string') value = await redis.get(key);
        else if (type === 'hash') value = await redis.hgetall(key);
        else if (type === 'list') value = await redis.lrange(key, 0, -1);
        else if (type === 'set') value = await redis.smembers(key);
        else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
        else if (type === 'stream') value = await redis.xrange(key, '-', '+');
        const content = JSON.stringify({ key, value });
        documents.push({ source: 'redis', name: key, content: () => Promise.resolve(content) });
      }
    } while (cursor !== '0');
    return documents;
  } finally {
    redis.disconnect();
  }
}
