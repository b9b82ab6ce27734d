import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { distribution, Distribution } from '../core/percentiles';

export interface PgInsertBaseline {
  rowsPerSecond: number;
  /** The server's CPU per row, ms, when a CPU reading was given. */
  cpuPerRowMs?: number;
  latency: Distribution;
  rowBytes: number;
  clients: number;
}

/**
 * What each transaction inserts:
 * - `plain`: a bytea row of the intake row's size into a table with nothing but a key.
 *   The ceiling for intake.
 * - `outbox`: one row into Mayak's own outbox table, its triggers included.
 * - `audit`: one entry into Mayak's own audit_entries table, hash chain included.
 * The last two need a migrated database; they show what a per-intake outbox row or audit
 * entry costs on its own, whatever those tables' triggers become.
 */
export type InsertTarget = 'plain' | 'outbox' | 'audit';

const STATEMENTS: Record<InsertTarget, string> = {
  plain: 'INSERT INTO baseline_rows (payload) VALUES ($1)',
  // A sealed route-case job is about 120 bytes under a 33-character pseudonymous key.
  outbox: `INSERT INTO outbox (queue, sealed, job_key) VALUES ('cases', $1::bytea, 'j' || replace(gen_random_uuid()::text, '-', ''))`,
  audit: `INSERT INTO audit_entries (action, record_type, record_id, outcome) VALUES ('bench.insert', 'contact', $1, 'success')`,
};

/**
 * Single-row INSERTs, each its own transaction with a durable commit, through `pg` from
 * `clients` concurrent connections: no HTTP, no encryption, no application code.
 */
export async function measurePgInsert(
  databaseUrl: string,
  options: {
    clients: number;
    seconds: number;
    rowBytes: number;
    into?: InsertTarget;
    warmupSeconds?: number;
    /** Reads the server's CPU seconds so far (our own PostgreSQL only). */
    serverCpu?: () => Promise<number>;
  },
): Promise<PgInsertBaseline> {
  const into = options.into ?? 'plain';
  const payloadBytes = Math.max(16, options.rowBytes - 40); // tuple header, id and timestamp
  const payload = randomBytes(payloadBytes);
  const clients = await Promise.all(
    Array.from({ length: options.clients }, async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  try {
    if (into === 'plain')
      await clients[0].query(
        `CREATE TABLE baseline_rows (
           id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           created_at timestamptz NOT NULL DEFAULT now(),
           payload bytea NOT NULL)`,
      );
    // An audit entry names a contact by its keyed pseudonym: 32 bytes, base64url.
    const values: Record<InsertTarget, () => unknown> = {
      plain: () => payload,
      outbox: () => randomBytes(120),
      audit: () => randomBytes(32).toString('base64url'),
    };
    const insert = (client: Client) => client.query(STATEMENTS[into], [values[into]()]);
    const loop = async (client: Client, until: number, samples?: number[]) => {
      let rows = 0;
      while (performance.now() < until) {
        const t0 = performance.now();
        await insert(client);
        samples?.push(performance.now() - t0);
        rows++;
      }
      return rows;
    };
    const warmupEnd = performance.now() + (options.warmupSeconds ?? 1) * 1000;
    await Promise.all(clients.map((c) => loop(c, warmupEnd)));
    const samples: number[] = [];
    const cpuBefore = await options.serverCpu?.();
    const start = performance.now();
    const counts = await Promise.all(
      clients.map((c) => loop(c, start + options.seconds * 1000, samples)),
    );
    const elapsed = (performance.now() - start) / 1000;
    const cpuAfter = await options.serverCpu?.();
    const rows = counts.reduce((a, b) => a + b, 0);
    let rowBytes = options.rowBytes;
    if (into === 'plain') {
      const { rows: sized } = await clients[0].query<{ size: string }>(
        'SELECT round(avg(pg_column_size(r.*))) AS size FROM baseline_rows r',
      );
      rowBytes = Number(sized[0].size);
    }
    return {
      rowsPerSecond: rows / elapsed,
      cpuPerRowMs:
        cpuBefore === undefined || cpuAfter === undefined
          ? undefined
          : ((cpuAfter - cpuBefore) * 1000) / rows,
      latency: distribution(samples),
      rowBytes,
      clients: options.clients,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}
