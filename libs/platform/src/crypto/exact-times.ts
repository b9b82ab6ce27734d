import { Clock } from '../clock';
import { CipherBinding, DecryptionError, EnvelopeCipher } from './envelope-cipher';
import { KeyedHash } from './keyed-hash';
import { SealedError } from './key-ring';

const QUARTER_HOUR_MS = 15 * 60_000;

/** One moment as per-call rows store it: the week in the clear, the exact time sealed. */
export interface SealedMoment {
  /**
   * Midnight of the Monday of the moment's week in STATS_TIMEZONE: what the plaintext column
   * holds. Not the day: beside a case's service, a day's share of the service attaches it to
   * that day's calls (docs/security/metadata.md, "Weeks").
   */
  week: Date;
  /** The exact moment, sealed and bound to its table, row and column. */
  sealed: Buffer;
}

/**
 * The exact times of open work (a case, its timeline, its notifications and pages) are
 * needed while the work is open (its SLA, its order in a queue, "waiting 3 h"), but in the
 * clear they join the case, by the second, with the telephone records, and the case's service
 * says what the caller sought. So they are written sealed from the first write: the plaintext
 * column holds the week, the exact time sits beside it under a key derived from the pseudonym
 * key (no data key to unwrap on the hot path), bound to table, row and column. Readers with
 * the keys open it; SQL orders by the week and the reader sorts the page it fetched. When a
 * case closes, CaseTimeSealer moves its exact times under the contact's own data key.
 */
export class ExactTimes {
  private readonly dayFormat: Intl.DateTimeFormat;
  private readonly days = new Map<number, number>();
  private readonly weeks = new Map<number, number>();
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

  /** Midnight, in STATS_TIMEZONE, of this week's Monday by the application's Clock. */
  thisWeek(): Date {
    return this.weekOf(this.clock.now());
  }

  /** The week column's value and the sealed exact time of `moment` (by default, now). */
  seal(binding: CipherBinding, moment: Date = this.clock.now()): SealedMoment {
    return {
      week: this.weekOf(moment),
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

  /**
   * Midnight, in STATS_TIMEZONE, of the Monday of the week `moment` falls in; remembered by
   * quarter-hour as days are.
   */
  weekOf(moment: Date): Date {
    const quarter = Math.floor(moment.getTime() / QUARTER_HOUR_MS);
    const known = this.weeks.get(quarter);
    if (known !== undefined) return new Date(known);
    if (this.weeks.size >= 4_096) this.weeks.clear();
    const [y, m, d] = this.dayFormat.format(moment).split('-').map(Number);
    const back = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
    const week = this.midnightOfDate(y, m, d - back);
    this.weeks.set(quarter, week.getTime());
    return week;
  }

  private midnightOf(moment: Date): Date {
    const [y, m, d] = this.dayFormat.format(moment).split('-').map(Number);
    return this.midnightOfDate(y, m, d);
  }

  /** Midnight in the zone of a calendar date (the day may run over its month: Date.UTC's rules). */
  private midnightOfDate(y: number, m: number, d: number): Date {
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
