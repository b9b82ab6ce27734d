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
  /** The exact time, sealed, of an entry about a caller's records (`at` holds its day). */
  at_enc?: Buffer | null;
  chain_pos: string;
}

/** The first link's predecessor. */
export const GENESIS = Buffer.alloc(32);

/**
 * The exact text an entry's link covers: every field, in order, separated by U+001F; the
 * sealed exact time last, as base64, only where there is one (entries written before it
 * existed link as they did).
 */
export function canonicalEntry(row: ChainedRow): string {
  const fields = [
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
  ];
  if (row.at_enc) fields.push(row.at_enc.toString('base64'));
  return fields.join('\u001f');
}

/**
 * The entry at which the chain changes keys. It is linked under the old key and names the
 * new one (record_id: its generation; reason: its fingerprint, hex), so the old key vouches
 * for the new: the chain continues across the change, link to link.
 */
export const AUDIT_KEY_ROTATED = 'audit.key.rotated';

/** The later audit key generation a rotation entry names, if `row` is one. */
export function rotationTarget(
  row: Pick<ChainedRow, 'action' | 'record_id' | 'outcome'>,
  generation: number,
): number | undefined {
  if (row.action !== AUDIT_KEY_ROTATED || row.outcome !== 'success') return undefined;
  const next = Number(row.record_id);
  return Number.isInteger(next) && next > generation ? next : undefined;
}

/**
 * The audit key generation that links the entries after `row`, given the one that linked
 * `row`. Only a rotation entry to a later generation whose fingerprint it names exactly
 * switches keys: an entry slipped in by someone writing to the database cannot move the chain
 * back to an older (perhaps compromised) key, nor to a key nobody holds.
 */
export function generationAfter(
  row: Pick<ChainedRow, 'action' | 'record_id' | 'reason' | 'outcome'>,
  generation: number,
  fingerprintOf: (generation: number) => Buffer | undefined,
): number {
  const next = rotationTarget(row, generation);
  if (next === undefined) return generation;
  const fingerprint = fingerprintOf(next);
  if (!fingerprint || fingerprint.toString('hex') !== row.reason) return generation;
  return next;
}
