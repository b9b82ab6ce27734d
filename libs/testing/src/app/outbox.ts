import {
  EnvelopeCipher,
  KeyedHash,
  KeyMaterial,
  KeyRing,
  loadConfig,
  loadKeyMaterial,
  outboxJobKey,
  OutboxSeal,
  QueueName,
} from '@mayak/platform';

/** An outbox row with its sealed job opened, as a test (not an attacker) sees it. */
export interface OpenedOutboxRow {
  id: string;
  status: string;
  /** The physical queue ('cases', 'maintenance'): the plaintext column. */
  physicalQueue: string;
  jobKey: string | null;
  queue: QueueName;
  name: string;
  payload: Record<string, unknown>;
  /** When the job is due: a timer's sealed due time, or the row's write time. */
  runAt: Date;
  sends: number;
  createdAt: Date;
  sentAt: Date | null;
  doneAt: Date | null;
}

/** Runs SQL: a DataSource's `query`, or a pg Pool's (through `rowsOf`). */
export type RowQuery = (sql: string, params?: unknown[]) => Promise<unknown[]>;

/**
 * Opens outbox rows with the installation's keys, for tests that check which jobs were
 * written and what became of them.
 */
export class OutboxReader {
  private readonly seal: OutboxSeal;
  private readonly hash: KeyedHash;

  constructor(
    keys: KeyMaterial,
    private readonly query: RowQuery,
  ) {
    const ring = new KeyRing();
    ring.install(keys);
    this.hash = new KeyedHash(ring);
    this.seal = new OutboxSeal(this.hash, new EnvelopeCipher(ring));
  }

  /** File custody: the keys are the environment's (MASTER_KEY, CALLER_HASH_KEY). */
  static fromEnv(env: Record<string, string>, query: RowQuery): OutboxReader {
    return new OutboxReader(loadKeyMaterial(loadConfig(env)), query);
  }

  /** A test environment's rows, read as its superuser. */
  static of(env: { env: Record<string, string>; db: { query: RowQuery } }): OutboxReader {
    return OutboxReader.fromEnv(env.env, (sql, params) => env.db.query(sql, params));
  }

  /** The job key a job written with programmer's key `key` has in the table and in Redis. */
  jobKey(key: string): string {
    return outboxJobKey(this.hash, key);
  }

  /** Every row (or those matching `where`, SQL over the plaintext columns), opened. */
  async rows(where = 'true'): Promise<OpenedOutboxRow[]> {
    const rows = (await this.query(
      `SELECT id::text AS id, status, queue, job_key, sealed, job_name, payload, run_at, sends,
              created_at, sent_at, done_at
         FROM outbox WHERE ${where} ORDER BY id`,
    )) as Array<{
      id: string;
      status: string;
      queue: string;
      job_key: string | null;
      sealed: Buffer | null;
      job_name: string | null;
      payload: Record<string, unknown> | null;
      run_at: Date;
      sends: number;
      created_at: Date;
      sent_at: Date | null;
      done_at: Date | null;
    }>;
    return rows.map((row) => {
      const opened = row.sealed
        ? this.seal.open(row.job_key ?? '', row.sealed)
        : {
            queue: row.queue as QueueName,
            name: row.job_name ?? '',
            payload: row.payload ?? {},
            runAt: new Date(row.run_at).getTime(),
          };
      return {
        id: row.id,
        status: row.status,
        physicalQueue: row.queue,
        jobKey: row.job_key,
        queue: opened.queue,
        name: opened.name,
        payload: opened.payload,
        runAt: new Date(opened.runAt ?? row.created_at),
        sends: row.sends,
        createdAt: row.created_at,
        sentAt: row.sent_at,
        doneAt: row.done_at,
      };
    });
  }

  /** The rows not done (or, with `waiting`, only those pending or sent) due by `at`. */
  async unfinishedDueBy(
    at: Date = new Date(),
    options: { waiting?: boolean } = {},
  ): Promise<OpenedOutboxRow[]> {
    const where = options.waiting ? `status IN ('pending', 'sent')` : `status <> 'done'`;
    return (await this.rows(where)).filter((row) => row.runAt.getTime() <= at.getTime());
  }
}
