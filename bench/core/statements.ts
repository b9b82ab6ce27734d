import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Pool } from 'pg';

interface StatementRow {
  calls: string;
  total_ms: number;
  plans: string;
  plan_ms: number;
  /** Shared buffers hit or read: what a statement touches, which must not grow with history. */
  blocks: string;
  query: string;
}

/**
 * Marks the bench's own statements that run inside a measured window (its polls, its WAL
 * inspection), so that the ranking leaves them out. It goes inside the statement, after its
 * first word: pg_stat_statements keeps a comment within a statement's text, not one before it.
 * They were a tenth of the execution time the intake ranking gave per answer (the WAL
 * inspection's block scan, 0.2-0.3 s a window).
 */
export const BENCH_SQL = '/* bench */';

/** A table's row writes so far (pg_stat_user_tables), with its number of indexes. */
interface TableWrites {
  relname: string;
  ins: string;
  upd: string;
  hot: string;
  del: string;
  indexes: string;
}

const TABLE_WRITES = `SELECT s.relname, s.n_tup_ins::text AS ins, s.n_tup_upd::text AS upd,
        s.n_tup_hot_upd::text AS hot, s.n_tup_del::text AS del,
        (SELECT count(*) FROM pg_index i WHERE i.indrelid = s.relid)::text AS indexes
   FROM pg_stat_user_tables s`;

/**
 * With --profile: which statements one answer costs, from pg_stat_statements (client
 * statements only, BEGIN and COMMIT included, the bench's own sampling and BENCH_SQL left out).
 */
export class StatementCounter {
  private tablesBefore = new Map<string, TableWrites>();

  constructor(
    private readonly db: Pool,
    private readonly database: string,
  ) {}

  async reset(): Promise<void> {
    await this.db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await this.db.query('SELECT pg_stat_statements_reset()');
    const { rows } = await this.db.query<TableWrites>(TABLE_WRITES);
    this.tablesBefore = new Map(rows.map((r) => [r.relname, r]));
  }

  /**
   * The rows each table gained, rewrote (HOT: without new index entries) and lost per answer
   * over the window, with its indexes: what one contact writes. Backends report their counts
   * within a second or so, so the last moments of the window may be missing.
   */
  private async tableLines(answers: number): Promise<string[]> {
    const { rows } = await this.db.query<TableWrites>(TABLE_WRITES);
    const per = (now: string, before: string | undefined) =>
      (Number(now) - Number(before ?? 0)) / answers;
    const deltas = rows
      .map((r) => {
        const b = this.tablesBefore.get(r.relname);
        return {
          name: r.relname,
          ins: per(r.ins, b?.ins),
          upd: per(r.upd, b?.upd),
          hot: per(r.hot, b?.hot),
          del: per(r.del, b?.del),
          indexes: r.indexes,
        };
      })
      .filter((d) => d.ins + d.upd + d.del >= 0.005)
      .sort((a, b) => b.ins + b.upd + b.del - (a.ins + a.upd + a.del));
    const f = (n: number) => n.toFixed(2).padStart(8);
    return [
      '',
      'rows per answer: inserted  updated  (HOT)  deleted  indexes  table',
      ...deltas.map(
        (d) =>
          `          ${f(d.ins)} ${f(d.upd)} ${f(d.hot)} ${f(d.del)} ${d.indexes.padStart(8)}  ${d.name}`,
      ),
    ];
  }

  /** Writes the ranking to `file`; returns statements per answer. */
  async report(answers: number, file: string): Promise<number> {
    const { rows } = await this.db.query<StatementRow>(
      `SELECT calls::text, total_exec_time AS total_ms, plans::text, total_plan_time AS plan_ms,
              (shared_blks_hit + shared_blks_read)::text AS blocks, query FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)
          AND query NOT LIKE '%pg_stat_%' AND strpos(query, $2) = 0
        ORDER BY total_exec_time DESC`,
      [this.database, BENCH_SQL],
    );
    const calls = rows.reduce((sum, r) => sum + Number(r.calls), 0);
    const total = rows.reduce((sum, r) => sum + r.total_ms, 0);
    const lines = [
      `${answers} answers; ${(calls / answers).toFixed(1)} statements and ${(total / answers).toFixed(2)} ms of execution per answer`,
      '',
      'per answer  mean ms  blocks/call  share  plans/call  plan ms  statement',
      ...rows
        .slice(0, 25)
        .map(
          (r) =>
            `${(Number(r.calls) / answers).toFixed(2).padStart(10)}  ${(r.total_ms / Number(r.calls)).toFixed(3).padStart(7)}  ${(Number(r.blocks) / Number(r.calls)).toFixed(1).padStart(11)}  ${((100 * r.total_ms) / total).toFixed(1).padStart(4)}%  ${(Number(r.plans) / Number(r.calls)).toFixed(2).padStart(10)}  ${(r.plan_ms / Math.max(1, Number(r.plans))).toFixed(3).padStart(7)}  ${r.query.replace(/\s+/g, ' ').slice(0, 160)}`,
        ),
      ...(await this.tableLines(answers)),
    ];
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${lines.join('\n')}\n`);
    return calls / answers;
  }
}
