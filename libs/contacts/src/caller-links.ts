import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DecryptionError, EnvelopeCipher, KeyedHash, KeyRing } from '@mayak/platform';

/**
 * The link from a caller to their contacts, with nothing in the clear that joins two calls.
 * A caller's n-th contact carries the tag HMAC(pseudonym key, caller ‖ n); the caller's row
 * keeps how many contacts they have, sealed. To list them: open the count, compute the tags,
 * look them up. Without the key, two tags of one caller are two random strings, and a
 * caller's row says nothing about how often they called.
 *
 * Intake costs the same whatever the caller's history: it opens and rewrites one counter.
 */
@Injectable()
export class CallerLinks {
  constructor(
    private readonly hash: KeyedHash,
    private readonly cipher: EnvelopeCipher,
    private readonly ring: KeyRing,
  ) {}

  /** The tag of the caller's n-th contact (from 0). */
  tag(callerId: string, n: number): Buffer {
    return this.hash.pseudonym('caller-contact', `${callerId}/${n}`);
  }

  /** The tags of every contact the caller has had. */
  tags(callerId: string, count: number): Buffer[] {
    return Array.from({ length: count }, (_, n) => this.tag(callerId, n));
  }

  sealCount(callerId: string, count: number): Buffer {
    return this.cipher.encrypt(this.countKey(), this.binding(callerId), String(count));
  }

  /** How many contacts the caller has had; a caller without a counter yet has had none. */
  openCount(callerId: string, sealed: Buffer | null): number {
    if (!sealed) return 0;
    const count = Number(this.cipher.decrypt(this.countKey(), this.binding(callerId), sealed));
    if (!Number.isSafeInteger(count) || count < 0) throw new DecryptionError();
    return count;
  }

  private binding(callerId: string) {
    return { table: 'callers', id: callerId, column: 'contacts_enc' };
  }

  /** Derived from the pseudonym key, which is never rotated: the tags must stay findable. */
  private countKey() {
    const key = createHmac('sha256', this.ring.keys().pseudonymKey)
      .update('mayak:caller-contact-count:v1')
      .digest();
    return { key, wrapped: Buffer.alloc(0) };
  }
}
