import { Injectable } from '@nestjs/common';
import { KeyedHash } from '@mayak/platform';

/**
 * Record types whose id an audit entry keeps as it is. Every other type is written as a keyed
 * pseudonym, so a type added later is hidden without anyone remembering to hide it.
 *
 *   user:        staff accounts. The actor of every entry is a plain user id already, so a
 *                pseudonym here would hide nothing; and a staff member's actions are not what
 *                the telephone records can be joined with.
 *   key_custody: the custody record (unseal, lockdown, rotation); entries carry no id, and they
 *                are written while sealed, when no key is at hand.
 *   audit_key:   the audit chain's own key generation, a small number that the chainer and the
 *                verifier read to follow a key rotation (audit-chain.ts).
 */
export const PLAIN_RECORD_TYPES: ReadonlySet<string> = new Set([
  'user',
  'key_custody',
  'audit_key',
]);

/**
 * Where an audit entry's exact time is sealed (AuditTrail): bound to the entry's reference,
 * or to its action when it names no record (a retention receipt). Writer and readers share
 * this one spelling; a binding that does not match opens to the day.
 */
export function auditTimeBinding(entry: { record_id: string | null; action: string }) {
  return { table: 'audit_entries', id: entry.record_id ?? entry.action, column: 'at' };
}

/**
 * The record type of a caller lookup: its id is the keyed hash of the number looked up (hex,
 * the newest key generation), so the entry's reference is a pseudonym of that hash.
 */
export const CALLER_NUMBER_RECORD = 'caller_number';

/** Whether entries about records of this type keep a pseudonym instead of the id. */
export function isPseudonymous(recordType: string | undefined | null): boolean {
  return !PLAIN_RECORD_TYPES.has(recordType ?? '');
}

/**
 * What an audit entry's record_id holds for a record. For contacts, cases, callers, notes
 * and anything else that belongs to a caller, it is HMAC-SHA256 under the derived pseudonym
 * key, base64url: the same record always gives the same reference, so entries can be found
 * again with the key, but a seized database cannot join an entry's exact time to the record
 * it is about. The domain keeps types apart (a case's reference never equals its contact's).
 *
 * The pseudonym key is never rotated, so references written years apart still match. Needs
 * the keys: sealed, a pseudonymous reference throws SealedError (plain ones never do).
 */
@Injectable()
export class AuditReferences {
  constructor(private readonly keyed: KeyedHash) {}

  of(recordType: string | undefined, recordId: string): string {
    if (!isPseudonymous(recordType)) return recordId;
    return this.keyed.pseudonym(`audit:${recordType ?? ''}`, recordId).toString('base64url');
  }
}
