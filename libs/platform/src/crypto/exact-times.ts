import { Clock } from '../clock';
import { CipherBinding, DecryptionError, EnvelopeCipher } from './envelope-cipher';
import { KeyedHash } from './keyed-hash';
import { SealedError } from './key-ring';

const QUARTER_HOUR_MS = 15 * 60_000;

/** One moment as open work stores it: the day in the clear, the exact time sealed. */
export interface SealedMoment {
  /** Midnight of the moment's day in STATS_TIMEZONE: what the plaintext column holds. */
  day: Date;
  /** The exact moment, sealed and bound to its table, row and column. */
  sealed: Buffer;
}

/**
 * The exact times of open work (a case, its timeline, its notifications and pages) are
 * needed while the work is open (its SLA, its order in a queue, "waiting 3 h"), but in the
 * clear they join the case, by the second, with the telephone records, and the case's service
 * says what the caller sought. So they are written sealed from the first write: the plaintext
 * column holds the day, the exact time sits beside it under a key derived from the pseudonym
 * key (no data key to unwrap on the hot path), bound to table, row and column. Readers with
 * the keys open it; SQL orders by the day and the reader sorts the page it fetched. When a
 * case closes, CaseTimeSealer moves its exact times under the contact's own data key.
 */
export class ExactTimes {
  private readonly dayFormat: Intl.DateTimeFormat;
  private readonly days = new Map<number, number>();
  private readonly offsetFormat: Intl.DateTimeFormat;

  constructor(
    private readonly cipher: EnvelopeCipher,
    private readonly hash: KeyedHash,
    timeZone: string,
    private readonly clock: Clock = new Clock(),
  ) {
    this.dayFormat = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    this.offsetFormat = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Now, by the application's Clock: the moment open work stamps. */
  now(): Date {
    return this.clock.now();
  }

  /** Midnight, in STATS_TIMEZONE, of today by the application's Clock: a day column's value now. */
  today(): Date {
    return this.dayOf(this.clock.now());
  }

  /** The day column's value and the sealed exact time of `moment` (by default, now). */
  seal(binding: CipherBinding, moment: Date = this.clock.now()): SealedMoment {
    return {
      day: this.dayOf(moment),
      sealed: this.cipher.encrypt(this.key(), binding, moment.toISOString()),
    };
  }

  /**
   * The exact time: opened from `sealed` when there is one, else the plaintext column's own
   * value (a row written before sealing, or already moved under the contact's key). A sealed
   * value that does not open, or a process without keys (a report run while sealed), gives
   * the plaintext day rather than failing a whole list.
   */
  open(binding: CipherBinding, sealed: Buffer | null | undefined, plain: Date): Date;
  open(binding: CipherBinding, sealed: Buffer | null | undefined, plain: Date | null): Date | null;
  open(binding: CipherBinding, sealed: Buffer | null | undefined, plain: Date | null): Date | null {
    if (!sealed) return plain;
    try {
      return new Date(this.cipher.decrypt(this.key(), binding, sealed));
    } catch (error) {
      if (error instanceof DecryptionError || error instanceof SealedError) return plain;
      throw error;
    }
  }

  /**
   * Midnight, in STATS_TIMEZONE, of the day `moment` falls on. Remembered by quarter-hour (every
   * zone's offset is a whole number of quarter hours, so a day never begins inside one): Intl's
   * formatting is the costliest part of a seal, and open work stamps several times per call.
   */
  dayOf(moment: Date): Date {
    const quarter = Math.floor(moment.getTime() / QUARTER_HOUR_MS);
    const known = this.days.get(quarter);
    if (known !== undefined) return new Date(known);
    if (this.days.size >= 4_096) this.days.clear();
    const day = this.midnightOf(moment);
    this.days.set(quarter, day.getTime());
    return day;
  }

  private midnightOf(moment: Date): Date {
    const [y, m, d] = this.dayFormat.format(moment).split('-').map(Number);
    const midnightUtc = Date.UTC(y, m - 1, d);
    // The zone's offset at that midnight (asked twice, in case a transition falls between).
    let guess = midnightUtc - this.offsetAt(new Date(midnightUtc));
    guess = midnightUtc - this.offsetAt(new Date(guess));
    return new Date(guess);
  }

  /** Milliseconds the zone's wall clock is ahead of UTC at `moment`. */
  private offsetAt(moment: Date): number {
    const parts = Object.fromEntries(
      this.offsetFormat.formatToParts(moment).map((p) => [p.type, p.value]),
    );
    const wall = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    );
    return wall - Math.floor(moment.getTime() / 1000) * 1000;
  }

  /** Derived, never rotated (like the pseudonyms): what it sealed stays openable. */
  private key() {
    return this.hash.derivedDataKey('mayak:open-work-times:v1');
  }
}
