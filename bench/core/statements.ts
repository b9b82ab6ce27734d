import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Pool } from 'pg';

interface StatementRow {
  calls: string;
  total_ms: number;
  /** Shared buffers hit or read: what a statement touches, which must not grow with history. */
  blocks: string;
  query: string;
}

/**
 * With --profile: which statements one answer costs, from pg_stat_statements (client
 * statements only, BEGIN and COMMIT included, the bench's own sampling left out).
 */
export class StatementCounter {
  constructor(
    private readonly db: Pool,
    private readonly database: string,
  ) {}

  async reset(): Promise<void> {
    await this.db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await this.db.query('SELECT pg_stat_statements_reset()');
  }

  /** Writes the ranking to `file`; returns statements per answer. */
  async report(answers: number, file: string): Promise<number> {
    const { rows } = await this.db.query<StatementRow>(
      `SELECT calls::text, total_exec_time AS total_ms,
              (shared_blks_hit + shared_blks_read)::text AS blocks, query FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)
          AND query NOT LIKE '%pg_stat_%'
        ORDER BY total_exec_time DESC`,
      [this.database],
    );
    const calls = rows.reduce((sum, r) => sum + Number(r.calls), 0);
    const total = rows.reduce((sum, r) => sum + r.total_ms, 0);
    const lines = [
      `${answers} answers; ${(calls / answers).toFixed(1)} statements and ${(total / answers).toFixed(2)} ms of execution per answer`,
      '',
      'per answer  mean ms  blocks/call  share  statement',
      ...rows
        .slice(0, 25)
        .map(
          (r) =>
            `${(Number(r.calls) / answers).toFixed(2).padStart(10)}  ${(r.total_ms / Number(r.calls)).toFixed(3).padStart(7)}  ${(Number(r.blocks) / Number(r.calls)).toFixed(1).padStart(11)}  ${((100 * r.total_ms) / total).toFixed(1).padStart(4)}%  ${r.query.replace(/\s+/g, ' ').slice(0, 160)}`,
        ),
    ];
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${lines.join('\n')}\n`);
    return calls / answers;
  }
}
