import { TestEnvironment } from '@mayak/testing';
import { Client } from 'pg';

/**
 * The run is compressed: weeks of calls are logged in minutes. The warp records, for each
 * slot of real time, the moment of the study period it stands for, and afterwards moves
 * every time the system wrote during the run (every timestamp column of every table, found
 * in the catalog; the application's log lines; Redis's job times; PostgreSQL's commit
 * times) to what the server's clock would have read then. A time written k milliseconds
 * into a slot becomes the slot's moment plus k milliseconds.
 */
export class ClockWarp {
  private readonly real: number[] = [];
  private readonly simulated: number[] = [];
  private ended?: number;

  private constructor(
    private readonly env: TestEnvironment,
    /** PostgreSQL's clock minus this process's, in milliseconds. */
    private readonly offset: number,
  ) {}

  static async start(env: TestEnvironment, first: Date): Promise<ClockWarp> {
    const before = Date.now();
    const [{ ms }] = (await env.db.query(
      `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`,
    )) as Array<{ ms: number }>;
    const warp = new ClockWarp(env, ms - (before + Date.now()) / 2);
    await warp.slot(first);
    return warp;
  }

  /** From now until the next slot, the server's clock reads `moment` onwards. */
  async slot(moment: Date): Promise<void> {
    let now = this.dbNow();
    const last = this.real[this.real.length - 1];
    while (last !== undefined && now <= last + 1) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      now = this.dbNow();
    }
    this.real.push(now);
    this.simulated.push(moment.getTime());
  }

  async end(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    this.ended = this.dbNow();
  }

  get runStart(): number {
    return this.real[0];
  }

  get runEnd(): number {
    if (this.ended === undefined) throw new Error('the run has not ended');
    return this.ended;
  }

  /** A real time (milliseconds since the epoch) of the run, as the period's clock read it. */
  translate(ms: number): number {
    if (ms < this.runStart || ms > this.runEnd) return ms;
    return this.lookup(ms);
  }

  private lookup(ms: number): number {
    let lo = 0;
    let hi = this.real.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.real[mid] <= ms) lo = mid;
      else hi = mid - 1;
    }
    return this.simulated[lo] + (ms - this.real[lo]);
  }

  /**
   * While the run goes on: the moment of the period a real time of the run stands for, by
   * the slots so far (the harness uses it to schedule what follows a worker's write).
   */
  during(ms: number): number {
    return this.lookup(ms);
  }

  /** Rewrites every timestamp the run wrote into the database (as the superuser). */
  async applyToDatabase(): Promise<void> {
    const db = new Client({ connectionString: this.env.superuserUrl });
    await db.connect();
    await db.query(
      `CREATE TEMP TABLE clock_warp (real timestamptz PRIMARY KEY, simulated timestamptz)`,
    );
    await db.query(
      `INSERT INTO clock_warp SELECT to_timestamp(r / 1000.0), to_timestamp(s / 1000.0)
         FROM unnest($1::float8[], $2::float8[]) AS t(r, s)`,
      [this.real, this.simulated],
    );
    const { rows: columns } = await db.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.data_type LIKE 'timestamp%'`,
    );
    // Triggers (the audit chain's append-only guard) would refuse; a warp is not an edit.
    await db.query(`SET session_replication_role = replica`);
    try {
      for (const { table_name, column_name } of columns) {
        const t = db.escapeIdentifier(table_name);
        const c = db.escapeIdentifier(column_name);
        await db.query(
          `UPDATE ${t} SET ${c} = (SELECT w.simulated + (${t}.${c} - w.real) FROM clock_warp w
                                      WHERE w.real <= ${t}.${c} ORDER BY w.real DESC LIMIT 1)
            WHERE ${c} BETWEEN to_timestamp($1 / 1000.0) AND to_timestamp($2 / 1000.0)`,
          [this.runStart, this.runEnd],
        );
      }
    } finally {
      await db.end();
    }
  }

  /**
   * The period's clock at this moment of the run, by the slots so far: for what the
   * application seals with its own clock (ExactTimes), which no rewrite of columns can reach.
   */
  now(): Date {
    const t = this.dbNow();
    let i = this.real.length - 1;
    while (i > 0 && this.real[i] > t) i--;
    return new Date(this.simulated[i] + Math.max(0, t - this.real[i]));
  }

  private dbNow(): number {
    return Date.now() + this.offset;
  }
}
