import { Pool } from 'pg';
import { BENCH_SQL } from './statements';

/**
 * What the WAL of a window was made of, from pg_walinspect (the bench's own PostgreSQL only):
 * full-page images against records, by resource manager, and the checkpoints that started
 * meanwhile. After a checkpoint the first change to each page logs the whole page, so a
 * window that follows one writes several times the WAL of a window that does not.
 */
export class WalInspector {
  private checkpointsBefore?: number;

  constructor(private readonly db: Pool) {}

  async start(): Promise<void> {
    await this.db.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    this.checkpointsBefore = await this.checkpoints();
  }

  /** One line: checkpoints started in the window, FPI share, and the heaviest managers. */
  async report(fromLsn: string, answers: number): Promise<string> {
    const checkpoints = (await this.checkpoints()) - (this.checkpointsBefore ?? 0);
    const { rows } = await this.db.query<{
      resource_manager: string;
      count: string;
      record_size: string;
      fpi_size: string;
    }>(
      `SELECT ${BENCH_SQL} "resource_manager/record_type" AS resource_manager, count::text, record_size::text, fpi_size::text
         FROM pg_get_wal_stats($1::pg_lsn, pg_current_wal_lsn(), false)
        WHERE count > 0 ORDER BY combined_size DESC`,
      [fromLsn],
    );
    const kib = (n: number) => (n / 1024 / Math.max(1, answers)).toFixed(2);
    const records = rows.reduce((s, r) => s + Number(r.record_size), 0);
    const fpis = rows.reduce((s, r) => s + Number(r.fpi_size), 0);
    const top = rows
      .slice(0, 6)
      .map(
        (r) =>
          `${r.resource_manager} ${kib(Number(r.record_size))}+${kib(Number(r.fpi_size))} (${(Number(r.count) / Math.max(1, answers)).toFixed(1)} records)`,
      )
      .join(', ');
    // Block data and page images by database: another database's autovacuum (setting hint
    // bits and the visibility map after a bulk load) writes into the same log meanwhile.
    const { rows: byDb } = await this.db.query<{ mine: boolean; bytes: string }>(
      `SELECT ${BENCH_SQL} reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AS mine,
              sum(block_data_length + coalesce(block_fpi_length, 0))::text AS bytes
         FROM pg_get_wal_block_info($1::pg_lsn, pg_current_wal_lsn(), false)
        WHERE reldatabase <> 0 GROUP BY 1`,
      [fromLsn],
    );
    const blocks = (mine: boolean) => Number(byDb.find((r) => r.mine === mine)?.bytes ?? 0);
    return `WAL per answer ${kib(records)} KiB of records + ${kib(fpis)} KiB of full-page images, ${checkpoints} checkpoint(s) begun in the window; block data and images in this database ${kib(blocks(true))} KiB, in others ${kib(blocks(false))} KiB; by manager (records+images KiB): ${top}`;
  }

  private async checkpoints(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `SELECT ${BENCH_SQL} (num_timed + num_requested)::text AS n FROM pg_stat_checkpointer`,
    );
    return Number(rows[0].n);
  }
}
