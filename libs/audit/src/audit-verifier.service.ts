import { Injectable } from '@nestjs/common';
import { KeyedHash, KeyRing } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { canonicalEntry, ChainedRow, GENESIS, generationAfter } from './audit-chain';

export type AuditVerification =
  | { ok: true; entries: number; unlinked: number; head?: { seq: string; hash: string } }
  | { ok: false; entries: number; brokenAt: string; problem: 'content_altered' | 'chain_broken' };

/**
 * Walks the whole chain in order, recomputing every link with the key. An edited entry no
 * longer matches its link, and without the key nobody can forge a new one; a deleted or
 * inserted entry breaks the link to its neighbour. (Cutting entries off the end leaves a
 * valid shorter chain: record the head this prints somewhere else to catch that.) Entries
 * not linked yet are counted, not judged. Where the audit key was rotated, the entry that
 * names the new key is checked under the old one, and the entries after it under the new.
 */
@Injectable()
export class AuditVerifier {
  constructor(
    private readonly db: DataSource,
    private readonly keyed: KeyedHash,
    private readonly ring: KeyRing,
  ) {}

  async verify(batchSize = 5_000): Promise<AuditVerification> {
    let previous: Buffer = GENESIS;
    let afterPos = '0';
    let entries = 0;
    let generation = 0;
    const fingerprintOf = (g: number) => this.ring.byNumber('audit', g)?.id;
    let head: { seq: string; hash: string } | undefined;
    for (;;) {
      // A link whose entry is gone (deleted by someone who bypassed the guard) comes back
      // with no entry: `entry_seq` is null.
      const rows: Array<
        ChainedRow & { prev_hash: Buffer; hash: Buffer; entry_seq: string | null }
      > = await this.db.query(
        `SELECT l.seq::text AS seq, l.chain_pos::text AS chain_pos, e.seq::text AS entry_seq, e.at, e.at_enc, e.actor_id, e.action,
                e.record_type, e.record_id, e.outcome, e.reason, e.break_glass, l.prev_hash, l.hash
           FROM audit_links l LEFT JOIN audit_entries e ON e.seq = l.seq
          WHERE l.chain_pos > $1::bigint ORDER BY l.chain_pos LIMIT $2`,
        [afterPos, batchSize],
      );
      for (const row of rows) {
        if (
          row.entry_seq === null ||
          !row.prev_hash.equals(previous) ||
          BigInt(row.chain_pos) !== BigInt(entries + 1)
        )
          return { ok: false, entries, brokenAt: row.seq, problem: 'chain_broken' };
        if (!row.hash.equals(this.keyed.auditLink(previous, canonicalEntry(row), generation)))
          return { ok: false, entries, brokenAt: row.seq, problem: 'content_altered' };
        generation = generationAfter(row, generation, fingerprintOf);
        previous = row.hash;
        entries += 1;
        head = { seq: row.seq, hash: row.hash.toString('hex') };
      }
      if (rows.length < batchSize) break;
      afterPos = rows[rows.length - 1].chain_pos;
    }
    // Counted from the entries themselves, not from the chainer's queue: an entry someone took
    // off the queue (bypassing its grants) is still counted here.
    const [{ unlinked }] = await this.db.query<Array<{ unlinked: number }>>(
      `SELECT count(*)::int AS unlinked FROM audit_entries e
        WHERE NOT EXISTS (SELECT 1 FROM audit_links l WHERE l.seq = e.seq)`,
    );
    return { ok: true, entries, unlinked, head };
  }
}
