import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataKey, EnvelopeCipher, KeyedHash, KeyRing } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';

export interface RecognisedCaller {
  callerId: string;
  /** Contacts logged for this caller before the current one. */
  previousContacts: number;
}

export interface ContactBackDetails {
  channel: string;
  safeTimes: string;
}

export interface CallerToRecognise {
  /** Phone number or handle; without one the contact is a caller of its own. */
  identifier?: string;
  /** Present when the caller agreed to be contacted back: the identifier is then kept, encrypted. */
  contactBack?: { details?: ContactBackDetails };
}

/**
 * Callers are known only by a keyed hash of their phone number or handle (HMAC-SHA256, key
 * outside the database); the raw identifier is never stored. An encrypted copy, under the
 * caller's own data key, is kept only when they agreed to be contacted back.
 */
@Injectable()
export class CallerRegistry {
  constructor(
    private readonly db: DataSource,
    private readonly hash: KeyedHash,
    private readonly cipher: EnvelopeCipher,
    private readonly ring: KeyRing,
  ) {}

  /**
   * While the caller-recognition key rotates, a caller still hashed under the old key is
   * moved to the new one the moment they call again (the identifier is in hand), so that they
   * are recognised whether or not they agreed to be contacted back.
   */
  private async rehashOnSight(
    em: EntityManager,
    callers: readonly CallerToRecognise[],
  ): Promise<void> {
    const olds: Buffer[] = [];
    const news: Buffer[] = [];
    for (const caller of callers) {
      if (!caller.identifier) continue;
      const [current, ...older] = this.hash.callerIdentifiers(caller.identifier);
      for (const old of older) {
        olds.push(old.hash);
        news.push(current.hash);
      }
    }
    if (olds.length === 0) return;
    await em.query(
      `UPDATE callers c SET identifier_hash = v.new, hash_generation = $3
         FROM unnest($1::bytea[], $2::bytea[]) AS v (old, new)
        WHERE c.identifier_hash = v.old
          AND NOT EXISTS (SELECT 1 FROM callers n WHERE n.identifier_hash = v.new)`,
      [olds, news, this.ring.current('caller').generation],
    );
  }

  /** How often this identifier has called before, without recording anything. */
  async previousContacts(identifier: string): Promise<number> {
    const rows: Array<{ count: number }> = await this.db.query(
      `SELECT count(ct.id)::int AS count FROM callers c JOIN contacts ct ON ct.caller_id = c.id WHERE c.identifier_hash = ANY($1)`,
      [this.hash.callerIdentifiers(identifier).map((h) => h.hash)],
    );
    return rows[0]?.count ?? 0;
  }

  /**
   * Finds or creates the caller inside the intake transaction. Without an identifier every
   * contact is a caller of its own (anonymous, never linked).
   */
  async recognise(em: EntityManager, caller: CallerToRecognise): Promise<RecognisedCaller> {
    const [recognised] = await this.recogniseMany(em, [caller]);
    return recognised;
  }

  /**
   * `recognise` for the contacts of one group-committed transaction, in two statements
   * whatever their number: one upsert of every caller (locking the rows of those known, in
   * the order of their hashes so that concurrent transactions cannot deadlock), and one
   * update storing the identifiers and contact-back details of those who agreed to it. A
   * caller twice in the batch is one row; the second contact counts the first as previous.
   */
  async recogniseMany(
    em: EntityManager,
    callers: readonly CallerToRecognise[],
  ): Promise<RecognisedCaller[]> {
    if (callers.length === 0) return [];
    const hashes = callers.map((c) =>
      c.identifier ? this.hash.callerIdentifier(c.identifier) : undefined,
    );
    const generation = this.ring.current('caller').generation;
    if (this.ring.keys().caller.length > 1) await this.rehashOnSight(em, callers);
    const ids: string[] = [];
    const rowHashes: Array<Buffer | null> = [];
    /** The row id given to each anonymous caller, by position in `callers`. */
    const anonymousIds = new Map<number, string>();
    const seen = new Set<string>();
    hashes.forEach((hash, i) => {
      const hex = hash?.toString('hex');
      if (hex !== undefined && seen.has(hex)) return;
      if (hex !== undefined) seen.add(hex);
      const id = randomUUID();
      if (hex === undefined) anonymousIds.set(i, id);
      ids.push(id);
      rowHashes.push(hash ?? null);
    });
    const rows: Array<{
      id: string;
      identifier_hash: Buffer | null;
      dek_wrapped: Buffer | null;
      previous: number;
    }> = await em.query(
      `WITH upsert AS (
         INSERT INTO callers (id, identifier_hash, hash_generation)
         SELECT id, hash, $3 FROM unnest($1::uuid[], $2::bytea[]) AS i (id, hash) ORDER BY hash NULLS LAST
         ON CONFLICT (identifier_hash) WHERE identifier_hash IS NOT NULL DO UPDATE SET updated_at = date_trunc('day', now())
         RETURNING id, identifier_hash, dek_wrapped)
       SELECT u.id, u.identifier_hash, u.dek_wrapped,
              CASE WHEN u.identifier_hash IS NULL THEN 0
                   ELSE (SELECT count(*)::int FROM contacts ct WHERE ct.caller_id = u.id) END AS previous
         FROM upsert u`,
      [ids, rowHashes, generation],
    );
    const known = new Map<string, (typeof rows)[number]>();
    const anonymous = new Set<string>();
    for (const row of rows)
      if (row.identifier_hash) known.set(row.identifier_hash.toString('hex'), row);
      else anonymous.add(row.id);

    const recognised: RecognisedCaller[] = [];
    const counted = new Map<string, number>();
    const keys = new Map<string, DataKey>();
    const updates = new Map<string, [Buffer, Buffer | null, Buffer | null]>();
    callers.forEach((caller, i) => {
      const hash = hashes[i];
      if (!hash) {
        const id = anonymousIds.get(i);
        if (!id || !anonymous.has(id)) throw new Error('an anonymous caller row was not written');
        recognised.push({ callerId: id, previousContacts: 0 });
        return;
      }
      const row = known.get(hash.toString('hex'));
      if (!row) throw new Error('a caller row was not written');
      const earlier = counted.get(row.id) ?? 0;
      counted.set(row.id, earlier + 1);
      recognised.push({ callerId: row.id, previousContacts: row.previous + earlier });
      if (caller.contactBack && caller.identifier) {
        let dek = keys.get(row.id);
        if (!dek) {
          dek = row.dek_wrapped
            ? this.cipher.unwrapDataKey('callers', row.id, row.dek_wrapped)
            : this.cipher.newDataKey('callers', row.id);
          keys.set(row.id, dek);
        }
        const details = caller.contactBack.details;
        updates.set(row.id, [
          this.cipher.encrypt(
            dek,
            { table: 'callers', id: row.id, column: 'identifier' },
            caller.identifier,
          ),
          details
            ? this.cipher.encrypt(
                dek,
                { table: 'callers', id: row.id, column: 'contact_back' },
                JSON.stringify(details),
              )
            : null,
          row.dek_wrapped ? null : dek.wrapped,
        ]);
      }
    });
    if (updates.size > 0) {
      const entries = [...updates];
      // The rows are locked by the upsert above, so the data key cannot change under us;
      // a new key is written only where there was none.
      await em.query(
        `UPDATE callers c
            SET identifier_enc = v.identifier_enc, contact_back_enc = v.contact_back_enc,
                dek_wrapped = coalesce(c.dek_wrapped, v.dek_wrapped), updated_at = date_trunc('day', now())
           FROM unnest($1::uuid[], $2::bytea[], $3::bytea[], $4::bytea[])
                AS v (id, identifier_enc, contact_back_enc, dek_wrapped)
          WHERE c.id = v.id`,
        [
          entries.map(([id]) => id),
          entries.map(([, [identifier]]) => identifier),
          entries.map(([, [, contactBack]]) => contactBack),
          entries.map(([, [, , wrapped]]) => wrapped),
        ],
      );
    }
    return recognised;
  }

  /**
   * The identifier and contact-back details, for a reader the policy has allowed to contact
   * the caller back; undefined when none is kept (no consent, or withdrawn).
   */
  async contactDetails(
    callerId: string,
  ): Promise<{ identifier: string; contactBack: ContactBackDetails | null } | undefined> {
    const rows: Array<{
      dek_wrapped: Buffer | null;
      identifier_enc: Buffer | null;
      contact_back_enc: Buffer | null;
    }> = await this.db.query(
      `SELECT dek_wrapped, identifier_enc, contact_back_enc FROM callers WHERE id = $1`,
      [callerId],
    );
    const row = rows[0];
    if (!row?.dek_wrapped || !row.identifier_enc) return undefined;
    const dek = this.cipher.unwrapDataKey('callers', callerId, row.dek_wrapped);
    const identifier = this.cipher.decrypt(
      dek,
      { table: 'callers', id: callerId, column: 'identifier' },
      row.identifier_enc,
    );
    const contactBack = row.contact_back_enc
      ? (JSON.parse(
          this.cipher.decrypt(
            dek,
            { table: 'callers', id: callerId, column: 'contact_back' },
            row.contact_back_enc,
          ),
        ) as ContactBackDetails)
      : null;
    return { identifier, contactBack };
  }
}
