import { isConnectionError, PgError, pgErrorCode } from './pg-errors';

export interface GroupCommitOptions<I> {
  /** The most items written in one transaction. */
  maxBatch: number;
  /** Transactions under way at once; each holds a pooled connection while it runs. */
  maxInFlight: number;
  /**
   * Items with the same key never share a batch: the later one waits for the next. For
   * writes that must see each other (a retried submit under the same idempotency key).
   */
  keyOf?: (item: I) => string | undefined;
  /**
   * Items with the same affinity go in the same batch, and wait while a batch holding it is
   * under way: for writes that lock one row (a repeat caller's counter), which would otherwise
   * run as several transactions queued on that lock, each with a pooled connection.
   */
  affinityOf?: (item: I) => string | undefined;
  /** Whole-batch retries after a deadlock or a serialization failure. */
  retries?: number;
}

/** What a batch writer gives back for each item, in order. */
export type BatchWriter<I, O> = (items: readonly I[]) => Promise<readonly O[]>;

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent writers share transactions. Each call to `submit` waits for its
 * item to be written by `write`, which receives every item that arrived while the previous
 * transactions were under way, and writes them in one transaction with a few multi-row
 * statements instead of a dozen statements per item. When nothing is under way an item is
 * written at once, so a quiet system pays no delay; under load the batches grow by themselves.
 *
 * A batch commits or fails as one. When it fails for a reason of its own (a constraint, a bad
 * value), its items are written again one by one, so one bad item fails only its own caller.
 * A lost connection fails the whole batch (every caller gets the connection error); a
 * deadlock or a serialization failure retries it.
 */
export class GroupCommit<I, O> {
  private readonly queue: Array<Pending<I, O>> = [];
  private inFlight = 0;
  private scheduled = false;
  /** Affinities of the batches under way, with how many of them hold each. */
  private readonly busy = new Map<string, number>();

  constructor(
    private readonly write: BatchWriter<I, O>,
    private readonly options: GroupCommitOptions<I>,
  ) {
    if (options.maxBatch < 1 || options.maxInFlight < 1)
      throw new Error('a group commit needs room for one item and one transaction');
  }

  /** Items waiting for a transaction (not counting those being written). */
  get waiting(): number {
    return this.queue.length;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Items submitted in the same turn of the event loop go out together.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      // Everything waiting shares an affinity with a batch under way: its end pumps again.
      if (batch.length === 0) return;
      const affinities = this.hold(batch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        for (const affinity of affinities) {
          const left = this.busy.get(affinity)! - 1;
          if (left === 0) this.busy.delete(affinity);
          else this.busy.set(affinity, left);
        }
        this.pump();
      });
    }
  }

  /**
   * The next batch: oldest first, at most maxBatch, no two items with the same key, none
   * whose affinity a batch under way holds.
   */
  private take(): Array<Pending<I, O>> {
    const { keyOf, affinityOf, maxBatch } = this.options;
    if (!keyOf && !affinityOf) return this.queue.splice(0, maxBatch);
    const batch: Array<Pending<I, O>> = [];
    const keys = new Set<string>();
    let i = 0;
    while (i < this.queue.length && batch.length < maxBatch) {
      const key = keyOf?.(this.queue[i].item);
      const affinity = affinityOf?.(this.queue[i].item);
      if (
        (key !== undefined && keys.has(key)) ||
        (affinity !== undefined && this.busy.has(affinity))
      ) {
        i += 1;
        continue;
      }
      if (key !== undefined) keys.add(key);
      batch.push(...this.queue.splice(i, 1));
    }
    return batch;
  }

  /** Marks the batch's affinities as under way; returns them, to release when it ends. */
  private hold(batch: ReadonlyArray<Pending<I, O>>): Set<string> {
    const affinities = new Set<string>();
    if (!this.options.affinityOf) return affinities;
    for (const p of batch) {
      const affinity = this.options.affinityOf(p.item);
      if (affinity !== undefined) affinities.add(affinity);
    }
    for (const affinity of affinities) this.busy.set(affinity, (this.busy.get(affinity) ?? 0) + 1);
    return affinities;
  }

  private async run(batch: Array<Pending<I, O>>): Promise<void> {
    try {
      const results = await this.attempt(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1 || isConnectionError(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
      // Something in the batch is wrong: find out which by writing each alone.
      for (const p of batch)
        await this.attempt([p.item]).then(
          ([result]) => p.resolve(result),
          (e: unknown) => p.reject(e),
        );
    }
  }

  private async attempt(items: I[]): Promise<readonly O[]> {
    for (let tries = 0; ; tries += 1) {
      try {
        const results = await this.write(items);
        if (results.length !== items.length)
          throw new Error(
            `a batch writer gave ${results.length} results for ${items.length} items`,
          );
        return results;
      } catch (error) {
        const code = pgErrorCode(error);
        const retriable =
          code === PgError.DeadlockDetected || code === PgError.SerializationFailure;
        if (!retriable || tries >= (this.options.retries ?? 3)) throw error;
      }
    }
  }
}
