import { Injectable } from '@nestjs/common';
import { affectedOf, EnvelopeCipher } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { ReferralKind, ReferralStatus } from './referral-kinds';

/** What an entry says: sealed together, never in the clear at rest. */
export interface ReferralDetails {
  name: string;
  /** Phones, e-mail, messenger, web: in the coordinator's words. */
  contactDetails: string;
  address: string;
  notes: string;
}

/** The codes the search filters on: the only plain columns of an entry. */
export interface ReferralCodes {
  region: string;
  kind: ReferralKind;
}

export interface ReferralEntry extends ReferralCodes, ReferralDetails {
  id: string;
  status: ReferralStatus;
}

export interface ReferralRow {
  id: string;
  region: string;
  kind: ReferralKind;
  status: ReferralStatus;
  dek_wrapped: Buffer;
  details_enc: Buffer;
}

/** Select these FROM referrals. */
const COLUMNS = `id, region, kind, status, dek_wrapped, details_enc`;
/** The most entries one filter opens: a region and kind never hold more in practice. */
const MAX_ROWS = 500;

const binding = (id: string) => ({ table: 'referrals', id, column: 'details' });

/**
 * The one owner of the `referrals` table. Each entry's details are sealed under a data key
 * of its own (EnvelopeCipher, bound to the row), like a case note; an edit seals them afresh
 * under a new key, so the old ciphertext is gone with the old key.
 */
@Injectable()
export class ReferralRecords {
  constructor(
    private readonly db: DataSource,
    private readonly cipher: EnvelopeCipher,
  ) {}

  private seal(id: string, details: ReferralDetails) {
    const dek = this.cipher.newDataKey('referrals', id);
    const sealed = this.cipher.encrypt(dek, binding(id), JSON.stringify(details));
    return { wrapped: dek.wrapped, sealed };
  }

  async insert(
    em: EntityManager,
    id: string,
    codes: ReferralCodes,
    details: ReferralDetails,
  ): Promise<void> {
    const { wrapped, sealed } = this.seal(id, details);
    await em.query(
      `INSERT INTO referrals (id, region, kind, dek_wrapped, details_enc) VALUES ($1, $2, $3, $4, $5)`,
      [id, codes.region, codes.kind, wrapped, sealed],
    );
  }

  /** Whether the entry exists (and was changed). */
  async update(
    em: EntityManager,
    id: string,
    codes: ReferralCodes,
    details: ReferralDetails,
  ): Promise<boolean> {
    const { wrapped, sealed } = this.seal(id, details);
    const result: unknown = await em.query(
      `UPDATE referrals SET region = $2, kind = $3, dek_wrapped = $4, details_enc = $5 WHERE id = $1`,
      [id, codes.region, codes.kind, wrapped, sealed],
    );
    return affectedOf(result) > 0;
  }

  /** Whether the entry exists (and now has this status). */
  async setStatus(em: EntityManager, id: string, status: ReferralStatus): Promise<boolean> {
    const result: unknown = await em.query(`UPDATE referrals SET status = $2 WHERE id = $1`, [
      id,
      status,
    ]);
    return affectedOf(result) > 0;
  }

  /** Entries by their plain codes; the name is sealed, so the caller filters on it after opening. */
  find(filter: {
    regions?: readonly string[];
    kind?: string;
    statuses: readonly ReferralStatus[];
  }): Promise<ReferralRow[]> {
    return this.db.query(
      `SELECT ${COLUMNS} FROM referrals
        WHERE status = ANY($1::text[])
          AND ($2::text[] IS NULL OR region = ANY($2::text[]))
          AND ($3::text IS NULL OR kind = $3)
        LIMIT ${MAX_ROWS}`,
      [filter.statuses, filter.regions ?? null, filter.kind ?? null],
    );
  }

  byIds(ids: readonly string[], em: EntityManager = this.db.manager): Promise<ReferralRow[]> {
    return em.query(`SELECT ${COLUMNS} FROM referrals WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * Of these ids, those of active entries: what an intake may refer to. One statement for a
   * whole batch of intakes.
   */
  async activeAmong(em: EntityManager, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: Array<{ id: string }> = await em.query(
      `SELECT id FROM referrals WHERE id = ANY($1::uuid[]) AND status = 'active'`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Opens an entry; throws DecryptionError when its ciphertext does not open. */
  open(row: ReferralRow): ReferralEntry {
    const dek = this.cipher.unwrapDataKey('referrals', row.id, row.dek_wrapped);
    const details = JSON.parse(
      this.cipher.decrypt(dek, binding(row.id), row.details_enc),
    ) as ReferralDetails;
    return { id: row.id, region: row.region, kind: row.kind, status: row.status, ...details };
  }
}
