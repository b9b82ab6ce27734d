/** An audit entry as the chain sees it. */
export interface ChainedRow {
  seq: string;
  at: Date;
  actor_id: string | null;
  action: string;
  record_type: string | null;
  record_id: string | null;
  outcome: string;
  reason: string | null;
  break_glass: boolean;
  chain_pos: string;
}

/** The first link's predecessor. */
export const GENESIS = Buffer.alloc(32);

/** The exact text an entry's link covers: every field, in order, separated by U+001F. */
export function canonicalEntry(row: ChainedRow): string {
  return [
    row.chain_pos,
    row.seq,
    String(row.at.getTime()),
    row.actor_id ?? '',
    row.action,
    row.record_type ?? '',
    row.record_id ?? '',
    row.outcome,
    row.reason ?? '',
    row.break_glass ? 'true' : 'false',
  ].join('\u001f');
}
