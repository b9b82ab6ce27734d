import { setImmediate as nextTurn } from 'node:timers/promises';
import { BucketCells, CellCounter } from './bucket-cells';
import { ContactFacts } from './contact-facts';

/** A CellCounter per day. */
export class DayCounters {
  private readonly counters = new Map<string, CellCounter>();

  of(day: string): CellCounter {
    let counter = this.counters.get(day);
    if (!counter) this.counters.set(day, (counter = new CellCounter()));
    return counter;
  }

  cells(): Map<string, BucketCells> {
    return new Map([...this.counters].map(([day, counter]) => [day, counter.cells()]));
  }
}

/**
 * Contacts counted between two turns of the event loop, about half a millisecond of work: a
 * contact is counted into every cuboid at once (20-45 µs). The worker that rolls up a few
 * seconds of intake also delivers the emergency timers, and a timer's way from BullMQ to its
 * handler and its transaction takes several turns of the event loop: each waits for whatever
 * runs in between. Counted in one go, the 700-1,000 contacts of a rollup held the loop for
 * 13-46 ms at a time (bench/README.md, "A rollup beside the timers").
 */
export const COUNT_SLICE = 25;

/** Between two slices: a turn of the event loop, or what the caller gives (backgroundPace). */
export type Pace = () => Promise<unknown>;

/** Counts contacts into their days, COUNT_SLICE at a time. */
export async function countInto(
  counted: DayCounters,
  contacts: readonly ContactFacts[],
  pace: Pace = nextTurn,
): Promise<void> {
  for (const [n, contact] of contacts.entries()) {
    if (n > 0 && n % COUNT_SLICE === 0) await pace();
    counted.of(contact.day).addContact(contact);
  }
}

/** Each day's cells of these contacts. */
export async function countByDay(
  contacts: readonly ContactFacts[],
  pace: Pace = nextTurn,
): Promise<Map<string, BucketCells>> {
  const counted = new DayCounters();
  await countInto(counted, contacts, pace);
  return counted.cells();
}
