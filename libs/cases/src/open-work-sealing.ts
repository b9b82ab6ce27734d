import { Inject, Injectable } from '@nestjs/common';
import { ExactTimes, KeyRing, Logger, LOGGER, SealingPass } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CASE_TIMES, pageTimeBinding, sealedTimeColumn } from './case-facts';

const BATCH = 200;
type Row = Record<string, unknown>;

/**
 * Seals the exact times that open work written by an older version keeps in the clear (see
 * the OpenWorkTimes migration): each case not yet sealed closed, with its timeline,
 * notifications and pages, gets its times sealed beside the day (ExactTimes), a batch of
 * cases per transaction. Only rows that have nothing sealed yet are touched, under the case's
 * lock, so that passes in several processes at once do no harm.
 */
@Injectable()
export class OpenWorkSealing extends SealingPass {
  constructor(
    private readonly db: DataSource,
    private readonly times: ExactTimes,
    ring: KeyRing,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ring, logger, 'exact times of open work');
  }

  async sealRemaining(): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = await this.db.transaction((em) => this.sealBatch(em));
      total += sealed;
      if (sealed < BATCH) break;
    }
    if (total > 0) this.logger.info({ cases: total }, 'exact times of open cases sealed');
    return total;
  }

  private async sealBatch(em: EntityManager): Promise<number> {
    const cases: Array<Row & { id: string }> = await em.query(
      `SELECT id, ${CASE_TIMES.join(', ')} FROM cases
        WHERE NOT times_sealed AND created_enc IS NULL
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [BATCH],
    );
    if (cases.length === 0) return 0;
    const ids = cases.map((c) => c.id);
    for (const c of cases) {
      const sets: string[] = [];
      const params: unknown[] = [c.id];
      for (const column of CASE_TIMES) {
        const at = c[column];
        if (!(at instanceof Date)) continue;
        const { week: day, sealed } = this.times.seal({ table: 'cases', id: c.id, column }, at);
        sets.push(
          `${column} = $${params.push(day)}, ${sealedTimeColumn(column)} = $${params.push(sealed)}`,
        );
      }
      await em.query(`UPDATE cases SET ${sets.join(', ')} WHERE id = $1`, params);
    }

    const events: Array<{ id: string; case_id: string; at: Date }> = await em.query(
      `SELECT id::text, case_id, at FROM case_events WHERE case_id = ANY($1::uuid[]) AND at_enc IS NULL`,
      [ids],
    );
    for (const e of events) {
      const { week: day, sealed } = this.times.seal(
        { table: 'case_events', id: e.case_id, column: 'at' },
        e.at,
      );
      await em.query(`UPDATE case_events SET at = $2, at_enc = $3 WHERE id = $1`, [
        e.id,
        day,
        sealed,
      ]);
    }

    const notifications: Array<{ id: string; created_at: Date; read_at: Date | null }> =
      await em.query(
        `SELECT id, created_at, read_at FROM notifications
          WHERE case_id = ANY($1::uuid[]) AND created_enc IS NULL`,
        [ids],
      );
    for (const n of notifications) {
      const created = this.times.seal(
        { table: 'notifications', id: n.id, column: 'created_at' },
        n.created_at,
      );
      const read = n.read_at
        ? this.times.seal({ table: 'notifications', id: n.id, column: 'read_at' }, n.read_at)
        : undefined;
      await em.query(
        `UPDATE notifications SET created_at = $2, created_enc = $3, read_at = $4, read_enc = $5 WHERE id = $1`,
        [n.id, created.week, created.sealed, read?.week ?? null, read?.sealed ?? null],
      );
    }

    const pages: Array<{
      case_id: string;
      tier: number;
      round: number;
      paged_at: Date;
      due_at: Date;
      breached_at: Date | null;
    }> = await em.query(
      `SELECT case_id, tier, round, paged_at, due_at, breached_at FROM emergency_pages
        WHERE case_id = ANY($1::uuid[]) AND paged_enc IS NULL`,
      [ids],
    );
    for (const p of pages) {
      const seal = (column: 'paged_at' | 'due_at' | 'breached_at', at: Date) =>
        this.times.seal(pageTimeBinding(p.case_id, p.tier, p.round, column), at);
      const paged = seal('paged_at', p.paged_at);
      const due = seal('due_at', p.due_at);
      const breached = p.breached_at ? seal('breached_at', p.breached_at) : undefined;
      await em.query(
        `UPDATE emergency_pages SET paged_at = $4, paged_enc = $5, due_at = $6, due_enc = $7,
                breached_at = $8, breached_enc = $9
          WHERE case_id = $1 AND tier = $2 AND round = $3`,
        [
          p.case_id,
          p.tier,
          p.round,
          paged.week,
          paged.sealed,
          due.week,
          due.sealed,
          breached?.week ?? null,
          breached?.sealed ?? null,
        ],
      );
    }
    return cases.length;
  }
}
