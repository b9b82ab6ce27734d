/** How often a worker standing by looks at its queue. */
export const LOOK_EVERY_MS = 250;
/**
 * A job ready to run this long and still not taken means the leader is not keeping up (too
 * much work, or hung with its lock's connection open, or sealed): the others join in.
 */
export const BEHIND_MS = 1_000;
/** Joined workers stand by again once their queue has had nothing ready for this long. */
export const CAUGHT_UP_MS = 2_000;

/**
 * What a worker standing by sees of its queue in one look (one round trip to Redis): the job
 * next in line of the waiting list and of the prioritized set, how many jobs both hold, and
 * when the earliest delayed job fell due (delayed jobs reach the waiting list only when a
 * worker that takes jobs moves them there).
 */
export interface QueueLook {
  waitingHead: string | null;
  prioritizedHead: string | null;
  ready: number;
  /** Epoch milliseconds, or null when nothing is delayed. */
  earliestDue: number | null;
}

/**
 * Whether a worker that is not the leader should take its queue's jobs.
 *
 * Each worker batches only the jobs it took (routing transactions, done-marks), so workers
 * that share a trickle of jobs each run smaller batches, more transactions and more wakeups
 * for the same work; on a small host that costs more than the second worker gives. So the
 * leader takes the jobs while it keeps up, and the others stand by, looking every
 * LOOK_EVERY_MS: once a job has been next in line (or a delayed job overdue) for BEHIND_MS,
 * the leader is behind, for whatever reason, and they join until the queue has had nothing
 * ready for CAUGHT_UP_MS. A large host's backlog brings them in and keeps them; a leader that
 * hangs costs its jobs BEHIND_MS plus a look, and its taken jobs come back when their locks
 * lapse, as BullMQ's stalled check has always done.
 *
 * Pure: it only judges the looks it is given, so it can be tested without Redis.
 */
export class Standby {
  private joined = false;
  private lastBusy = 0;
  /** The head of each line when first seen there, and when. */
  private readonly seen = new Map<'waiting' | 'prioritized', { id: string; at: number }>();

  /** Whether this worker should now take jobs (the leader always does; see the caller). */
  get taking(): boolean {
    return this.joined;
  }

  /** Judges one look taken at `now`; returns whether this worker should take jobs. */
  observe(look: QueueLook, now: number): boolean {
    const stuck =
      this.stuck('waiting', look.waitingHead, now) ||
      this.stuck('prioritized', look.prioritizedHead, now) ||
      (look.earliestDue !== null && now - look.earliestDue >= BEHIND_MS);
    const busy = look.ready > 0 || (look.earliestDue !== null && look.earliestDue <= now);
    if (busy) this.lastBusy = now;
    if (stuck) this.joined = true;
    else if (this.joined && !busy && now - this.lastBusy >= CAUGHT_UP_MS) this.joined = false;
    return this.joined;
  }

  /** Forgets what it saw: this worker leads now, or looks again after a pause. */
  reset(): void {
    this.joined = false;
    this.lastBusy = 0;
    this.seen.clear();
  }

  /** Whether the same job has been next in this line for BEHIND_MS. */
  private stuck(line: 'waiting' | 'prioritized', head: string | null, now: number): boolean {
    if (head === null) {
      this.seen.delete(line);
      return false;
    }
    const seen = this.seen.get(line);
    if (seen?.id !== head) {
      this.seen.set(line, { id: head, at: now });
      return false;
    }
    return now - seen.at >= BEHIND_MS;
  }
}

/** The keys of a BullMQ queue that a look reads. */
export interface QueueLookKeys {
  wait: string;
  prioritized: string;
  delayed: string;
}

/** The commands of an ioredis client a look uses. */
export interface LookClient {
  multi(): LookPipeline;
}

interface LookPipeline {
  lindex(key: string, index: number): LookPipeline;
  zrange(key: string, start: number, stop: number, withScores?: 'WITHSCORES'): LookPipeline;
  llen(key: string): LookPipeline;
  zcard(key: string): LookPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/**
 * One look at a BullMQ queue, in one round trip: BullMQ takes the waiting list's jobs from its
 * right end (RPOPLPUSH) and the prioritized set's from its lowest score (ZPOPMIN), and scores a
 * delayed job by its due time × 0x1000 (getDelayedScore.lua).
 */
export async function lookAtQueue(client: LookClient, keys: QueueLookKeys): Promise<QueueLook> {
  const results = await client
    .multi()
    .lindex(keys.wait, -1)
    .zrange(keys.prioritized, 0, 0)
    .zrange(keys.delayed, 0, 0, 'WITHSCORES')
    .llen(keys.wait)
    .zcard(keys.prioritized)
    .exec();
  if (!results) throw new Error('the look at the queue was discarded');
  const value = (i: number): unknown => {
    const [error, result] = results[i] ?? [new Error('no answer'), null];
    if (error) throw error;
    return result;
  };
  const waitingHead = value(0) as string | null;
  const prioritized = value(1) as string[];
  const delayed = value(2) as string[];
  return {
    waitingHead,
    prioritizedHead: prioritized[0] ?? null,
    ready: Number(value(3)) + Number(value(4)),
    earliestDue: delayed.length >= 2 ? Math.floor(Number(delayed[1]) / 0x1000) : null,
  };
}
