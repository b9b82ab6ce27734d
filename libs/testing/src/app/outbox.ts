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

  /**
   * `table`: `outbox`, or `outbox_history` where recordFinishedJobs installed it (the rows
   * still there, and the finished ones as they were when their job deleted them, 'done').
   */
  constructor(
    keys: KeyMaterial,
    private readonly query: RowQuery,
    private readonly table: 'outbox' | 'outbox_history' = 'outbox',
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
  static of(
    env: { env: Record<string, string>; db: { query: RowQuery } },
    table: 'outbox' | 'outbox_history' = 'outbox',
  ): OutboxReader {
    return new OutboxReader(
      loadKeyMaterial(loadConfig(env.env)),
      (sql, params) => env.db.query(sql, params),
      table,
    );
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
         FROM ${this.table} WHERE ${where} ORDER BY id`,
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

/**
 * For tests that count what became of every job (the fault suite's books): a finished job
 * deletes its outbox row (OutboxLedger), so this installs, in a test's database only, a
 * trigger that keeps each deleted row in `outbox_finished` (with the moment and the number of
 * the deletion, `finished_at` and `finished`), and a view `outbox_history`: the rows still in
 * the outbox beside the finished ones, whose status reads 'done' (whatever deleted them: in
 * the tests that use it only finished jobs do). A job run twice still shows as one row, as it
 * did when it was marked done: its effects are what tell. Run as the superuser (the trigger's
 * function runs as its owner, so the application's role needs no grant).
 */
export async function recordFinishedJobs(query: RowQuery): Promise<void> {
  await query(`CREATE TABLE outbox_finished (LIKE outbox)`);
  await query(
    `ALTER TABLE outbox_finished ADD COLUMN finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
       ADD COLUMN finished bigint GENERATED ALWAYS AS IDENTITY`,
  );
  await query(`
    CREATE FUNCTION outbox_record_finished() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
    BEGIN
      INSERT INTO outbox_finished SELECT (OLD).*;
      RETURN NULL;
    END $$`);
  await query(`
    CREATE TRIGGER outbox_record_finished AFTER DELETE ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_record_finished()`);
  // Every column of the outbox, in its order (a seizure's SELECT * of the history).
  const columns: Array<{ name: string }> = (await query(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = 'outbox'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  )) as Array<{ name: string }>;
  await query(`
    CREATE VIEW outbox_history AS
      SELECT * FROM outbox
      UNION ALL SELECT ${columns
        .map(({ name }) => (name === 'status' ? `'done'::text AS status` : name))
        .join(', ')} FROM outbox_finished`);
}
