import { Injectable } from '@nestjs/common';
import { DecryptionError, EnvelopeCipher, KeyedHash } from '@mayak/platform';

/**
 * A caller's sealed counter: `next` tags have been given out (the next contact gets tag
 * number `next`); `live` of those contacts still exist (retention deletes contacts).
 */
export interface CallerCount {
  next: number;
  live: number;
}

/**
 * The link from a caller to their contacts, with nothing in the clear that joins two calls.
 * A caller's n-th contact carries the tag HMAC(pseudonym key, caller ‖ n); the caller's row
 * keeps its counter, sealed. To list their contacts: open the counter, compute the tags, look
 * them up. Without the key, two tags of one caller are two random strings, and a caller's
 * row says nothing about how often they called.
 *
 * Intake costs the same whatever the caller's history: it opens and rewrites one counter.
 */
@Injectable()
export class CallerLinks {
  constructor(
    private readonly hash: KeyedHash,
    private readonly cipher: EnvelopeCipher,
  ) {}

  /** The tag of the caller's n-th contact (from 0). */
  tag(callerId: string, n: number): Buffer {
    return this.hash.pseudonym('caller-contact', `${callerId}/${n}`);
  }

  /** The tags of every contact the caller has had. */
  tags(callerId: string, count: number): Buffer[] {
    return Array.from({ length: count }, (_, n) => this.tag(callerId, n));
  }

  sealCount(callerId: string, count: CallerCount): Buffer {
    return this.cipher.encrypt(
      this.countKey(),
      this.binding(callerId),
      JSON.stringify({ next: count.next, live: count.live }),
    );
  }

  /** The caller's counter; a caller without one yet has had no contact. */
  openCount(callerId: string, sealed: Buffer | null): CallerCount {
    if (!sealed) return { next: 0, live: 0 };
    const count = JSON.parse(
      this.cipher.decrypt(this.countKey(), this.binding(callerId), sealed),
    ) as Partial<CallerCount>;
    const valid = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
    if (!valid(count.next) || !valid(count.live) || count.live > count.next)
      throw new DecryptionError();
    return { next: count.next, live: count.live };
  }

  private binding(callerId: string) {
    return { table: 'callers', id: callerId, column: 'contacts_enc' };
  }

  /** Derived from the pseudonym key, which is never rotated: the tags must stay findable. */
  private countKey() {
    return this.hash.derivedDataKey('mayak:caller-contact-count:v1');
  }
}
