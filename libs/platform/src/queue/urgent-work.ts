import { Global, Injectable, Module } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * After the last urgent job ends, how long the process counts as still busy with urgent
 * work: a surge's next job is usually on its way already (a breach's pages, the next timer).
 * At the bench's 250 timers a second, a quiet of 10 ms came often enough that a rollup
 * started in the middle of the surge; 50 ms rarely comes before the surge ends.
 */
export const URGENT_QUIET_MS = 50;

/**
 * How long a background job waits for urgent work before it starts: long enough to let a
 * surge of timers through (the bench's falls due over 4 s), short enough that the statistics
 * are at most seconds late however long the surge lasts (each waits once, then runs).
 */
export const BACKGROUND_START_WAIT_MS = 5_000;
/**
 * How long background work that is under way waits between its slices (about a millisecond
 * of work each): while a surge lasts, the rollup of a thousand contacts runs a slice every
 * 20 ms or so, about a second in all, and the timers' turns wait for one slice at most.
 */
export const BACKGROUND_SLICE_WAIT_MS = 20;

/**
 * Urgent work under way in this process, and the way background work gives it way.
 *
 * A worker process both escalates emergencies (each SLA timer's breach takes several turns of
 * the event loop and a few round trips) and does background work (the statistics rollup opens
 * and counts a few seconds of intake, tens of milliseconds of CPU). On two cores, background
 * work that runs beside a surge of timers makes them late: with the rollup on, the bench's
 * surge had its late timers in clusters just after each rollup began. Background work that
 * can wait asks `giveWay` before it starts and between its slices, and waits (bounded) while
 * urgent work runs; urgent work runs inside `track`.
 */
@Injectable()
export class UrgentWork {
  private inFlight = 0;
  private lastEnd = 0;
  private readonly waiters = new Set<() => void>();
  private quietCheck?: NodeJS.Timeout;

  /** Whether urgent work runs now, or ended less than URGENT_QUIET_MS ago. */
  get busy(): boolean {
    return this.inFlight > 0 || Date.now() - this.lastEnd < URGENT_QUIET_MS;
  }

  /** Runs urgent work, counted as such while it runs. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
      this.lastEnd = Date.now();
      if (this.inFlight === 0 && this.waiters.size > 0) this.checkQuietSoon();
    }
  }

  /**
   * For background work: lets the event loop turn, then, while urgent work runs, waits until it
   * has been quiet for URGENT_QUIET_MS, but never longer than `maxWaitMs` in all. Resolves to
   * how long it waited for urgent work (0 when there was none).
   */
  async giveWay(maxWaitMs: number): Promise<number> {
    await nextTurn();
    if (!this.busy || maxWaitMs <= 0) return 0;
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        this.waiters.delete(done);
        resolve();
      };
      const timeout = setTimeout(done, maxWaitMs);
      this.waiters.add(done);
      if (this.inFlight === 0) this.checkQuietSoon();
    });
    return Date.now() - started;
  }

  /** Releases the waiters once the process has been quiet for URGENT_QUIET_MS. */
  private checkQuietSoon(): void {
    if (this.quietCheck) return;
    const wait = Math.max(1, URGENT_QUIET_MS - (Date.now() - this.lastEnd));
    this.quietCheck = setTimeout(() => {
      this.quietCheck = undefined;
      if (this.inFlight > 0) return; // the next one to end checks again
      if (this.busy) return this.checkQuietSoon();
      for (const release of [...this.waiters]) release();
    }, wait);
  }
}

/**
 * The turn between two slices of background work: a wait for urgent work (up to
 * BACKGROUND_SLICE_WAIT_MS) in a process that has UrgentWork, a turn of the event loop in one
 * that has not (the API).
 */
export function backgroundPace(urgent?: UrgentWork): () => Promise<void> {
  if (!urgent) return () => nextTurn();
  return async () => {
    await urgent.giveWay(BACKGROUND_SLICE_WAIT_MS);
  };
}

/** UrgentWork for the process: the worker's, which runs both kinds of work. */
@Global()
@Module({ providers: [UrgentWork], exports: [UrgentWork] })
export class UrgentWorkModule {}
