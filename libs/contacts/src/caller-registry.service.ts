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

/** A caller's row as intake reads it. */
interface CallerRow {
  id: string;
  identifier_hash: Buffer | null;
  dek_wrapped: Buffer | null;
  contacts_enc: Buffer | null;
  /** Written by this batch (the upsert inserted it, or it is to be inserted). */
  inserted: boolean;
}

/**
 * What an intake batch learns of its callers, and writes to their rows (callersWriteCtes):
 * rows to insert whole, and rows to update, with the counter and data key they were read
 * with.
 */
export interface CallerWrites {
  recognised: RecognisedCaller[];
  added: {
    ids: string[];
    hashes: Array<Buffer | null>;
    generation: number;
    contactsEnc: Buffer[];
    identifierEnc: Array<Buffer | null>;
    contactBackEnc: Array<Buffer | null>;
    dekWrapped: Array<Buffer | null>;
  };
  moved: {
    ids: string[];
    oldContactsEnc: Array<Buffer | null>;
    oldDekWrapped: Array<Buffer | null>;
    identifierEnc: Array<Buffer | null>;
    contactBackEnc: Array<Buffer | null>;
    dekWrapped: Array<Buffer | null>;
    contactsEnc: Array<Buffer | null>;
  };
}

/** callersWriteCtes's fourteen parameters, in order. */
export function callerWriteParams({ added, moved }: CallerWrites): unknown[] {
  return [
    added.ids,
    added.hashes,
    added.generation,
    added.contactsEnc,
    added.identifierEnc,
    added.contactBackEnc,
    added.dekWrapped,
    moved.ids,
    moved.oldContactsEnc,
    moved.oldDekWrapped,
    moved.identifierEnc,
    moved.contactBackEnc,
    moved.dekWrapped,
    moved.contactsEnc,
  ];
}

/**
 * The callers' rows of an intake as CTEs of its one statement, from the fourteen parameters
 * $first… (callerWriteParams): `callers_added` inserts new callers whole (a caller someone
 * else added meanwhile fails the statement on the unique hash), `callers_moved` updates known
 * ones only where their counter and data key are still those read. The statement must fail
 * when a row was not updated (count(callers_moved) < cardinality of its ids, the parameter
 * $first+7): a count would otherwise be lost, or details sealed under a key not kept.
 */
export function callersWriteCtes(first: number): string {
  const p = (n: number) => `$${first + n}`;
  return `callers_added AS (
     INSERT INTO callers (id, identifier_hash, hash_generation, contacts_enc, identifier_enc, contact_back_enc, dek_wrapped)
     SELECT id, hash, ${p(2)}, count, identifier_enc, contact_back_enc, dek_wrapped
       FROM unnest(${p(0)}::uuid[], ${p(1)}::bytea[], ${p(3)}::bytea[], ${p(4)}::bytea[], ${p(5)}::bytea[], ${p(6)}::bytea[])
         AS i (id, hash, count, identifier_enc, contact_back_enc, dek_wrapped)
      ORDER BY hash NULLS LAST
     RETURNING id),
   callers_moved AS (
     UPDATE callers c
        SET identifier_enc = coalesce(v.identifier_enc, c.identifier_enc),
            contact_back_enc = CASE WHEN v.identifier_enc IS NULL THEN c.contact_back_enc ELSE v.contact_back_enc END,
            dek_wrapped = coalesce(c.dek_wrapped, v.dek_wrapped),
            contacts_enc = coalesce(v.contacts_enc, c.contacts_enc), updated_at = date_trunc('week', now())
       FROM unnest(${p(7)}::uuid[], ${p(8)}::bytea[], ${p(9)}::bytea[], ${p(10)}::bytea[], ${p(11)}::bytea[], ${p(12)}::bytea[], ${p(13)}::bytea[])
            AS v (id, old_contacts_enc, old_dek_wrapped, identifier_enc, contact_back_enc, dek_wrapped, contacts_enc)
      WHERE c.id = v.id
        AND c.contacts_enc IS NOT DISTINCT FROM v.old_contacts_enc
        AND c.dek_wrapped IS NOT DISTINCT FROM v.old_dek_wrapped
     RETURNING c.id)`;
}

/** Known callers by their hashes, unlocked (CallerRegistry.recogniseUnlocked). */
const READ_CALLERS = preparedStatement(
  'callers.read',
  `SELECT id, identifier_hash, dek_wrapped, contacts_enc, false AS inserted
     FROM callers WHERE identifier_hash = ANY($1::bytea[])`,
);

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

/** How many times each hash is in the batch. */
function countHashes(hashes: ReadonlyArray<Buffer | undefined>): Map<string, number> {
  const inBatch = new Map<string, number>();
  for (const hash of hashes)
    if (hash) inBatch.set(hash.toString('hex'), (inBatch.get(hash.toString('hex')) ?? 0) + 1);
  return inBatch;
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
    const { recognised, moved } = await this.recogniseLocked(em, callers);
    if (moved.ids.length > 0)
      await runPrepared(em, UPDATE_CALLERS, [
        moved.ids,
        moved.identifierEnc,
        moved.contactBackEnc,
        moved.dekWrapped,
        moved.contactsEnc,
      ]);
    return recognised;
  }

  /**
   * The batch's callers upserted and locked (see recogniseMany), and what is left to write:
   * `moved`, for callersWriteCtes (whose guards then hold, the rows being locked).
   */
  async recogniseLocked(
    em: EntityManager,
    callers: readonly CallerToRecognise[],
  ): Promise<CallerWrites> {
    if (callers.length === 0) return this.plan([], [], new Map(), []);
    const hashes = this.hashesOf(callers);
    const generation = this.ring.current('caller').generation;
    if (this.ring.keys().caller.length > 1) await this.rehashOnSight(em, callers);
    const ids: string[] = [];
    const rowHashes: Array<Buffer | null> = [];
    const sealedCounts: Buffer[] = [];
    /** The row id given to each anonymous caller, by position in `callers`. */
    const anonymousIds = new Map<number, string>();
    const inBatch = countHashes(hashes);
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
    const rows: CallerRow[] = await runPrepared(em, UPSERT_CALLERS, [
      ids,
      rowHashes,
      generation,
      sealedCounts,
    ]);
    const anonymous = new Set<string>();
    for (const row of rows) if (!row.identifier_hash) anonymous.add(row.id);
    const anonymousRows = new Map<number, string>();
    for (const [i, id] of anonymousIds) {
      if (!anonymous.has(id)) throw new Error('an anonymous caller row was not written');
      anonymousRows.set(i, id);
    }
    return this.plan(
      callers,
      hashes,
      anonymousRows,
      rows.filter((r) => r.identifier_hash),
    );
  }

  /**
   * Recognises the batch's callers with one read and no lock, for an intake written in one
   * statement without a transaction of its own: what the statement writes of them is in
   * `added` (callers new at the read, inserted: a caller someone added since fails it on the
   * unique hash) and `moved` (known callers, updated only if their counter and data key are
   * still those read, which callersWriteCtes's caller must check: CALLERS_MOVED_MISSED).
   * Undefined while the caller-recognition key rotates (recogniseLocked moves old hashes on).
   */
  async recogniseUnlocked(
    db: DataSource,
    callers: readonly CallerToRecognise[],
  ): Promise<CallerWrites | undefined> {
    if (this.ring.keys().caller.length > 1) return undefined;
    const hashes = this.hashesOf(callers);
    const distinct = [
      ...new Map(hashes.filter((h) => h !== undefined).map((h) => [h.toString('hex'), h])).values(),
    ];
    const rows: CallerRow[] =
      distinct.length > 0 ? await runPrepared(db, READ_CALLERS, [distinct]) : [];
    const found = new Set(rows.map((r) => r.identifier_hash!.toString('hex')));
    const added: CallerRow[] = distinct
      .filter((h) => !found.has(h.toString('hex')))
      .map((h) => ({
        id: randomUUID(),
        identifier_hash: h,
        dek_wrapped: null,
        contacts_enc: null,
        inserted: true,
      }));
    const anonymous = new Map<number, string>();
    hashes.forEach((h, i) => {
      if (!h) anonymous.set(i, randomUUID());
    });
    return this.plan(callers, hashes, anonymous, [...rows, ...added], {
      added: new Set(added.map((r) => r.id)),
      generation: this.ring.current('caller').generation,
    });
  }

  /** Each caller's recognition hash under the current key; undefined for an anonymous one. */
  private hashesOf(callers: readonly CallerToRecognise[]): Array<Buffer | undefined> {
    return callers.map((c) =>
      c.identifier ? this.hash.callerIdentifier(c.identifier) : undefined,
    );
  }

  /**
   * What each contact learns of its caller, and what the batch writes to the callers' rows:
   * counters moved on by the batch's contacts, identifiers and contact-back details where
   * agreed to. A caller twice in the batch is one row; the second contact counts the first.
   * Rows in `adding` (and the anonymous, with `adding`) are not stored yet: written whole.
   */
  private plan(
    callers: readonly CallerToRecognise[],
    hashes: ReadonlyArray<Buffer | undefined>,
    anonymous: ReadonlyMap<number, string>,
    rows: readonly CallerRow[],
    adding?: { added: ReadonlySet<string>; generation: number },
  ): CallerWrites {
    const known = new Map<string, CallerRow & { count: CallerCount }>();
    for (const row of rows)
      known.set(row.identifier_hash!.toString('hex'), {
        ...row,
        count: row.inserted ? { next: 0, live: 0 } : this.links.openCount(row.id, row.contacts_enc),
      });
    const recognised: RecognisedCaller[] = [];
    const counted = new Map<string, number>();
    const keys = new Map<string, DataKey>();
    const details = new Map<string, [Buffer | null, Buffer | null, Buffer | null]>();
    const writes: CallerWrites = {
      recognised,
      added: {
        ids: [],
        hashes: [],
        generation: adding?.generation ?? 0,
        contactsEnc: [],
        identifierEnc: [],
        contactBackEnc: [],
        dekWrapped: [],
      },
      moved: {
        ids: [],
        oldContactsEnc: [],
        oldDekWrapped: [],
        identifierEnc: [],
        contactBackEnc: [],
        dekWrapped: [],
        contactsEnc: [],
      },
    };
    callers.forEach((caller, i) => {
      const hash = hashes[i];
      if (!hash) {
        const id = anonymous.get(i);
        if (!id) throw new Error('an anonymous caller row was not written');
        recognised.push({ callerId: id, previousContacts: 0, tag: this.links.tag(id, 0) });
        if (adding) {
          const { added } = writes;
          added.ids.push(id);
          added.hashes.push(null);
          added.contactsEnc.push(this.links.sealCount(id, { next: 1, live: 1 }));
          added.identifierEnc.push(null);
          added.contactBackEnc.push(null);
          added.dekWrapped.push(null);
        }
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
        const given = caller.contactBack.details;
        details.set(row.id, [
          this.cipher.encrypt(
            dek,
            { table: 'callers', id: row.id, column: 'identifier' },
            caller.identifier,
          ),
          given
            ? this.cipher.encrypt(
                dek,
                { table: 'callers', id: row.id, column: 'contact_back' },
                JSON.stringify(given),
              )
            : null,
          row.dek_wrapped ? null : dek.wrapped,
        ]);
      }
    });
    for (const row of known.values()) {
      const n = counted.get(row.id) ?? 0;
      const [identifierEnc, contactBackEnc, dekWrapped] = details.get(row.id) ?? [null, null, null];
      if (adding?.added.has(row.id)) {
        // A new caller's row, whole: its counter counts the batch's contacts.
        const { added } = writes;
        added.ids.push(row.id);
        added.hashes.push(row.identifier_hash);
        added.contactsEnc.push(this.links.sealCount(row.id, { next: n, live: n }));
        added.identifierEnc.push(identifierEnc);
        added.contactBackEnc.push(contactBackEnc);
        added.dekWrapped.push(dekWrapped);
        continue;
      }
      // Known callers' counters move on by their contacts in this batch.
      const counter = row.inserted
        ? null
        : this.links.sealCount(row.id, { next: row.count.next + n, live: row.count.live + n });
      if (!counter && !identifierEnc) continue;
      const { moved } = writes;
      moved.ids.push(row.id);
      moved.oldContactsEnc.push(row.contacts_enc);
      moved.oldDekWrapped.push(row.dek_wrapped);
      moved.identifierEnc.push(identifierEnc);
      moved.contactBackEnc.push(contactBackEnc);
      // The rows are locked, or the write checks they did not change: the data key cannot
      // change under us; a new key is written only where there was none.
      moved.dekWrapped.push(dekWrapped);
      moved.contactsEnc.push(counter);
    }
    return writes;
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
