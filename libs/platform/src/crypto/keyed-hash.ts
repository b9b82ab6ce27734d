import { createHmac } from 'node:crypto';
import { DataKey } from './envelope-cipher';
import { KeyMaterial } from './key-material';
import { KeyRing } from './key-ring';

/**
 * HMAC-SHA256 under a key kept outside the database: recognises the same caller again
 * without storing, or being able to reverse, their phone number or handle.
 */
export class KeyedHash {
  /**
   * The derived data keys made so far, for the key material they were derived from. Sealing
   * zeroes and drops them with the ring's own keys; new material (a rotation) replaces them.
   */
  private derived?: { material: KeyMaterial; keys: Map<string, DataKey> };

  constructor(private readonly ring: KeyRing) {
    ring.onSeal(() => this.forgetDerived());
  }

  /**
   * A link of the audit chain: covers the previous link and this entry's canonical form,
   * under the audit key of `generation`.
   */
  auditLink(previous: Buffer, canonicalEntry: string, generation: number): Buffer {
    const key = this.ring.byNumber('audit', generation);
    if (!key) throw new Error(`audit key generation ${generation} is not held`);
    return createHmac('sha256', key.key).update(previous).update(canonicalEntry, 'utf8').digest();
  }

  /**
   * A keyed pseudonym: equal inputs give equal outputs, so it can be looked up, but without the
   * key it cannot be reversed or tested. `domain` keeps the uses apart (a username's pseudonym
   * never equals a record's).
   */
  pseudonym(domain: string, value: string): Buffer {
    return createHmac('sha256', this.ring.keys().pseudonymKey)
      .update(`mayak:pseudonym:v1\u001f${domain}\u001f`)
      .update(value, 'utf8')
      .digest();
  }

  /**
   * A data key derived from the pseudonym key under `label`, for values sealed with no data
   * key stored beside them (a caller's counter, a stored intake answer). Like the pseudonyms,
   * it is never rotated: what it seals must stay openable.
   */
  derivedDataKey(label: string): DataKey {
    // Derived once per label, not at every seal and open of the hot path (an HMAC each).
    // Like the ring's keys, they are used synchronously and zeroed when the ring is wiped.
    const material = this.ring.keys();
    if (this.derived?.material !== material) {
      this.forgetDerived();
      this.derived = { material, keys: new Map() };
    }
    let derived = this.derived.keys.get(label);
    if (!derived) {
      const key = createHmac('sha256', material.pseudonymKey).update(label).digest();
      derived = { key, wrapped: Buffer.alloc(0) };
      this.derived.keys.set(label, derived);
    }
    return derived;
  }

  private forgetDerived(): void {
    for (const { key } of this.derived?.keys.values() ?? []) key.fill(0);
    this.derived = undefined;
  }

  /** The caller's hash under the current caller-recognition key. */
  callerIdentifier(identifier: string): Buffer {
    return callerHash(this.ring.current('caller').key, identifier);
  }

  /**
   * The caller's hash under every live caller-recognition key, current first: while a
   * rotation of that key runs, a caller not yet rehashed is still found under the old one.
   */
  callerIdentifiers(identifier: string): Array<{ generation: number; hash: Buffer }> {
    return this.ring
      .keys()
      .caller.map((g) => ({ generation: g.generation, hash: callerHash(g.key, identifier) }))
      .reverse();
  }
}

function callerHash(key: Buffer, identifier: string): Buffer {
  return createHmac('sha256', key)
    .update('mayak:caller:v1\u001f')
    .update(normaliseIdentifier(identifier))
    .digest();
}

/**
 * The same person typed two ways must hash the same: phone numbers keep only their digits
 * (a leading 8 in an 11-digit Russian number becomes 7), handles lose case, spaces and a
 * leading @.
 */
export function normaliseIdentifier(raw: string): string {
  const trimmed = raw.normalize('NFKC').trim();
  const digits = trimmed.replace(/[\s()\-.]/g, '');
  if (/^\+?\d{6,15}$/.test(digits)) {
    let number = digits.replace(/^\+/, '');
    if (number.length === 11 && number.startsWith('8')) number = `7${number.slice(1)}`;
    return `tel:${number}`;
  }
  return `handle:${trimmed.replace(/^@/, '').replace(/\s+/g, '').toLowerCase()}`;
}
