import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  affectedOf,
  DataKey,
  EnvelopeCipher,
  KeyedHash,
  KeyRing,
  preparedStatement,
  runPrepared,
} from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CallerCount, CallerLinks } from './caller-links';

export interface RecognisedCaller {
  callerId: string;
  /** Contacts logged for this caller before the current one. */
  previousContacts: number;
  /** The link the current contact carries to this caller (CallerLinks). */
  tag: Buffer;
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
 * The batch's callers, upserted in the order of their hashes (so that concurrent
 * transactions cannot deadlock); a known caller's row is locked and returned as it was.
 */
const UPSERT_CALLERS = preparedStatement(
  'callers.upsert',
  `INSERT INTO callers (id, identifier_hash, hash_generation, contacts_enc)
   SELECT id, hash, $3, count FROM unnest($1::uuid[], $2::bytea[], $4::bytea[]) AS i (id, hash, count) ORDER BY hash NULLS LAST
   ON CONFLICT (identifier_hash) WHERE identifier_hash IS NOT NULL DO UPDATE SET updated_at = date_trunc('week', now())
   RETURNING id, identifier_hash, dek_wrapped, contacts_enc, (xmax = 0) AS inserted`,
);

/**
 * Contact-back details where given (v.identifier_enc not null), the counter where it moved,
 * and a new data key only where there was none.
 */
const UPDATE_CALLERS = preparedStatement(
  'callers.update',
  `UPDATE callers c
      SET identifier_enc = coalesce(v.identifier_enc, c.identifier_enc),
          contact_back_enc = CASE WHEN v.identifier_enc IS NULL THEN c.contact_back_enc ELSE v.contact_back_enc END,
          dek_wrapped = coalesce(c.dek_wrapped, v.dek_wrapped),
          contacts_enc = coalesce(v.contacts_enc, c.contacts_enc), updated_at = date_trunc('week', now())
     FROM unnest($1::uuid[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[])
          AS v (id, identifier_enc, contact_back_enc, dek_wrapped, contacts_enc)
    WHERE c.id = v.id`,
);

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
    private readonly links: CallerLinks,
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
    const rows: Array<{ id: string; contacts_enc: Buffer | null }> = await this.db.query(
      `SELECT id, contacts_enc FROM callers WHERE identifier_hash = ANY($1)`,
      [this.hash.callerIdentifiers(identifier).map((h) => h.hash)],
    );
    return rows.reduce((sum, row) => sum + this.links.openCount(row.id, row.contacts_enc).live, 0);
  }

  /**
   * The contacts of a caller: their tags looked up (see CallerLinks). Undefined when there
   * is no such caller.
   */
  async contactIdsOf(
    em: EntityManager,
    callerId: string,
    lock = false,
  ): Promise<string[] | undefined> {
    const rows: Array<{ contacts_enc: Buffer | null }> = await em.query(
      `SELECT contacts_enc FROM callers WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [callerId],
    );
    if (!rows[0]) return undefined;
    const tags = this.links.tags(
      callerId,
      this.links.openCount(callerId, rows[0].contacts_enc).next,
    );
    if (tags.length === 0) return [];
    const contacts: Array<{ id: string }> = await em.query(
      `SELECT id FROM contacts WHERE caller_tag = ANY($1::bytea[])`,
      [tags],
    );
    return contacts.map((c) => c.id);
  }

  /**
   * Retention deleted contacts of these callers (caller id → how many): their counters go
   * down, and a caller with no contact left is deleted, with their hash, encrypted identifier
   * and contact-back details. Callers whose contacts an older version left unsealed are kept
   * until those are sealed. Returns how many callers were deleted.
   */
  async forgetContacts(em: EntityManager, removed: ReadonlyMap<string, number>): Promise<number> {
    if (removed.size === 0) return 0;
    const rows: Array<{ id: string; contacts_enc: Buffer | null; unsealed: boolean }> =
      await em.query(
        `SELECT c.id, c.contacts_enc, EXISTS (SELECT 1 FROM contacts_unsealed u WHERE u.caller_id = c.id) AS unsealed
           FROM callers c WHERE c.id = ANY($1::uuid[]) ORDER BY c.id FOR UPDATE OF c`,
        [[...removed.keys()]],
      );
    const gone: string[] = [];
    const ids: string[] = [];
    const counts: Buffer[] = [];
    for (const row of rows) {
      const count = this.links.openCount(row.id, row.contacts_enc);
      const live = Math.max(0, count.live - removed.get(row.id)!);
      if (live === 0 && !row.unsealed) gone.push(row.id);
      else {
        ids.push(row.id);
        counts.push(this.links.sealCount(row.id, { next: count.next, live }));
      }
    }
    if (ids.length > 0)
      await em.query(
        `UPDATE callers c SET contacts_enc = v.count FROM unnest($1::uuid[], $2::bytea[]) AS v (id, count) WHERE c.id = v.id`,
        [ids, counts],
      );
    if (gone.length === 0) return 0;
    return affectedOf(await em.query(`DELETE FROM callers WHERE id = ANY($1::uuid[])`, [gone]));
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
   * the order of their hashes so that concurrent transactions cannot deadlock; a new caller's
   * sealed counter goes in with its row), and one update moving known callers' counters on
   * and storing the identifiers and contact-back details of those who agreed to it. A caller
   * twice in the batch is one row; the second contact counts the first as previous. What it
   * costs does not depend on how often the caller called before.
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
    const sealedCounts: Buffer[] = [];
    /** The row id given to each anonymous caller, by position in `callers`. */
    const anonymousIds = new Map<number, string>();
    const inBatch = new Map<string, number>();
    for (const hash of hashes)
      if (hash) inBatch.set(hash.toString('hex'), (inBatch.get(hash.toString('hex')) ?? 0) + 1);
    const seen = new Set<string>();
    hashes.forEach((hash, i) => {
      const hex = hash?.toString('hex');
      if (hex !== undefined && seen.has(hex)) return;
      if (hex !== undefined) seen.add(hex);
      const id = randomUUID();
      if (hex === undefined) anonymousIds.set(i, id);
      ids.push(id);
      rowHashes.push(hash ?? null);
      // A new caller's counter is written with the row; a known caller's is moved on below.
      const k = hex === undefined ? 1 : inBatch.get(hex)!;
      sealedCounts.push(this.links.sealCount(id, { next: k, live: k }));
    });
    const rows: Array<{
      id: string;
      identifier_hash: Buffer | null;
      dek_wrapped: Buffer | null;
      contacts_enc: Buffer | null;
      inserted: boolean;
    }> = await runPrepared(em, UPSERT_CALLERS, [ids, rowHashes, generation, sealedCounts]);
    const known = new Map<string, (typeof rows)[number] & { count: CallerCount }>();
    const anonymous = new Set<string>();
    for (const row of rows)
      if (row.identifier_hash)
        known.set(row.identifier_hash.toString('hex'), {
          ...row,
          count: row.inserted
            ? { next: 0, live: 0 }
            : this.links.openCount(row.id, row.contacts_enc),
        });
      else anonymous.add(row.id);

    const recognised: RecognisedCaller[] = [];
    const counted = new Map<string, number>();
    const keys = new Map<string, DataKey>();
    const updates = new Map<string, [Buffer | null, Buffer | null, Buffer | null]>();
    callers.forEach((caller, i) => {
      const hash = hashes[i];
      if (!hash) {
        const id = anonymousIds.get(i);
        if (!id || !anonymous.has(id)) throw new Error('an anonymous caller row was not written');
        recognised.push({ callerId: id, previousContacts: 0, tag: this.links.tag(id, 0) });
        return;
      }
      const row = known.get(hash.toString('hex'));
      if (!row) throw new Error('a caller row was not written');
      const earlier = counted.get(row.id) ?? 0;
      counted.set(row.id, earlier + 1);
      recognised.push({
        callerId: row.id,
        previousContacts: row.count.live + earlier,
        tag: this.links.tag(row.id, row.count.next + earlier),
      });
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
    // Known callers' counters move on by their contacts in this batch.
    const counters = new Map<string, Buffer>();
    for (const row of known.values())
      if (!row.inserted)
        counters.set(
          row.id,
          this.links.sealCount(row.id, {
            next: row.count.next + counted.get(row.id)!,
            live: row.count.live + counted.get(row.id)!,
          }),
        );
    for (const id of counters.keys()) if (!updates.has(id)) updates.set(id, [null, null, null]);
    if (updates.size > 0) {
      const entries = [...updates];
      // The rows are locked by the upsert above, so the data key cannot change under us;
      // a new key is written only where there was none.
      // Contact-back details are written where given (v.identifier_enc not null), the
      // counter where it moved.
      await runPrepared(em, UPDATE_CALLERS, [
        entries.map(([id]) => id),
        entries.map(([, [identifier]]) => identifier),
        entries.map(([, [, contactBack]]) => contactBack),
        entries.map(([, [, , wrapped]]) => wrapped),
        entries.map(([id]) => counters.get(id) ?? null),
      ]);
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
