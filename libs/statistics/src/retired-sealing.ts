import { Inject, Injectable } from '@nestjs/common';
import { KeyRing, Logger, LOGGER, markStatsDays, rowsOf, SealingPass } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { CellCounter } from './bucket-cells';
import { CUBOIDS } from './cuboids';
import { Dimension } from './dimensions';
import { SealedRollups } from './sealed-rollups';

/** The columns of the plaintext retired table (`stats_retired_day` before the SealedStatistics migration). */
const UNSEALED_COLUMN: Record<Dimension, string> = {
  channel: 'channel',
  region: 'region',
  topic: 'topic',
  service: 'service',
  outcome: 'outcome',
  ageBand: 'age_band',
  genderIdentity: 'gender_identity',
  immediateRisk: 'immediate_risk',
};

type UnsealedRow = Record<string, string | number> & {
  cuboid: number;
  contacts: number;
  consented: number;
};

/**
 * Seals the retired statistics an older version kept in plaintext (`stats_retired_unsealed`,
 * see the SealedStatistics migration) as soon as this process holds the keys: a day at a time,
 * its plaintext rows deleted in the transaction that adds them to the day's sealed retired
 * part and marks the day for the next rollup. Passes in several processes at once take
 * different days (the delete locks them) and never add a row twice.
 */
@Injectable()
export class RetiredStatisticsSealing extends SealingPass {
  constructor(
    private readonly db: DataSource,
    private readonly rollups: SealedRollups,
    ring: KeyRing,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ring, logger, 'retired statistics');
  }

  async sealRemaining(): Promise<number> {
    const [{ present }] = await this.db.query<Array<{ present: boolean }>>(
      `SELECT to_regclass('stats_retired_unsealed') IS NOT NULL AS present`,
    );
    if (!present) return 0;
    const days: Array<{ day: string }> = await this.db.query(
      `SELECT DISTINCT bucket::text AS day FROM stats_retired_unsealed ORDER BY 1`,
    );
    let sealed = 0;
    for (const { day } of days)
      await this.db.transaction(async (em) => {
        const rows = rowsOf<UnsealedRow>(
          await em.query(`DELETE FROM stats_retired_unsealed WHERE bucket = $1::date RETURNING *`, [
            day,
          ]),
        );
        if (rows.length === 0) return;
        const counter = new CellCounter();
        for (const row of rows) {
          const cuboid = CUBOIDS[row.cuboid];
          if (!cuboid) continue;
          counter.addCell(
            row.cuboid,
            cuboid.map((d) => String(row[UNSEALED_COLUMN[d]])),
            row.contacts,
            row.consented,
          );
        }
        await this.rollups.addRetired(em, day, counter.cells());
        await markStatsDays(em, [day]);
        sealed += rows.length;
      });
    if (sealed > 0) this.logger.info({ sealed }, 'plaintext retired statistics sealed');
    return sealed;
  }
}
