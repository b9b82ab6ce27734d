import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CustodyError, CustodyException } from './custody.exception';
import { NodeCredential } from './node-credential';

export interface CustodyRecord {
  custodyId: Buffer;
  threshold: number;
  holders: number;
  checkValue: Buffer;
  lockdownEpoch: number;
}

/**
 * The one writer of `key_custody`: the setup's check value and its lockdown epoch. A record
 * whose pin does not verify under this installation's node credential is refused.
 */
@Injectable()
export class CustodyStore {
  constructor(
    private readonly db: DataSource,
    private readonly credential: NodeCredential,
  ) {}

  async read(manager: EntityManager = this.db.manager): Promise<CustodyRecord | undefined> {
    const rows: Array<{
      custody_id: Buffer;
      threshold: number;
      holders: number;
      check_value: Buffer;
      pin: Buffer;
      lockdown_epoch: string;
    }> = await manager.query(
      `SELECT custody_id, threshold, holders, check_value, pin, lockdown_epoch::text FROM key_custody WHERE id = 1`,
    );
    const row = rows[0];
    if (!row) return undefined;
    if (
      this.credential.present &&
      !this.credential.verify(
        'custody-pin',
        pinned(row.custody_id, row.threshold, row.holders, row.check_value),
        row.pin,
      )
    )
      throw new CustodyException(CustodyError.TamperedRecord);
    return {
      custodyId: row.custody_id,
      threshold: row.threshold,
      holders: row.holders,
      checkValue: row.check_value,
      lockdownEpoch: Number(row.lockdown_epoch),
    };
  }

  /** Inserts the setup; false if one already exists (a second root would orphan the data). */
  async create(
    record: Omit<CustodyRecord, 'lockdownEpoch'>,
    manager: EntityManager = this.db.manager,
  ): Promise<boolean> {
    const pin = this.credential.mac(
      'custody-pin',
      pinned(record.custodyId, record.threshold, record.holders, record.checkValue),
    );
    const rows: unknown[] = await manager.query(
      `INSERT INTO key_custody (custody_id, threshold, holders, check_value, pin)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [record.custodyId, record.threshold, record.holders, record.checkValue, pin],
    );
    return rows.length === 1;
  }

  /** Starts a new lockdown epoch; undefined where custody is not set up (file custody). */
  async nextEpoch(manager: EntityManager): Promise<number | undefined> {
    const rows: Array<{ lockdown_epoch: string }> = await manager.query(
      `UPDATE key_custody SET lockdown_epoch = lockdown_epoch + 1, locked_down_at = now()
        WHERE id = 1 RETURNING lockdown_epoch::text`,
    );
    return rows[0] ? Number(rows[0].lockdown_epoch) : undefined;
  }
}

function pinned(custodyId: Buffer, threshold: number, holders: number, checkValue: Buffer) {
  return [custodyId, threshold, holders, checkValue];
}
