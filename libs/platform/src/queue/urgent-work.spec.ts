import { setTimeout as sleep } from 'node:timers/promises';
import {
  backgroundPace,
  BACKGROUND_SLICE_WAIT_MS,
  URGENT_QUIET_MS,
  UrgentWork,
} from './urgent-work';

/** Urgent work that runs until `end()` is called. */
function hold(urgent: UrgentWork): { end: () => void; done: Promise<number> } {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const done = urgent.track(async () => {
    await ended;
    return Date.now();
  });
  return { end, done };
}

describe('UrgentWork', () => {
  it('lets background work through at once when nothing urgent runs', async () => {
    const urgent = new UrgentWork();
    expect(urgent.busy).toBe(false);
    const started = Date.now();
    expect(await urgent.giveWay(5_000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('holds background work while urgent work runs, and releases it once quiet', async () => {
    const urgent = new UrgentWork();
    const job = hold(urgent);
    expect(urgent.busy).toBe(true);
    let through = 0;
    const waiting = urgent.giveWay(5_000).then(() => (through = Date.now()));
    await sleep(150);
    expect(through).toBe(0);
    job.end();
    const endedAt = await job.done;
    await waiting;
    // Not before the urgent work ended and stayed quiet, and not long after.
    expect(through - endedAt).toBeGreaterThanOrEqual(URGENT_QUIET_MS - 2);
    expect(through - endedAt).toBeLessThan(200);
    expect(urgent.busy).toBe(false);
  });

  it('waits for every overlapping urgent job, and for one that follows within the quiet time', async () => {
    const urgent = new UrgentWork();
    const first = hold(urgent);
    const second = hold(urgent);
    let through = 0;
    const waiting = urgent.giveWay(5_000).then(() => (through = Date.now()));
    first.end();
    await first.done;
    await sleep(50);
    expect(through).toBe(0); // the second still runs
    second.end();
    await second.done;
    // A third starts inside the quiet time: still busy.
    const third = hold(urgent);
    await sleep(URGENT_QUIET_MS * 3);
    expect(through).toBe(0);
    third.end();
    const endedAt = await third.done;
    await waiting;
    expect(through).toBeGreaterThanOrEqual(endedAt);
  });

  it('never holds background work longer than it asked, however long urgent work lasts', async () => {
    const urgent = new UrgentWork();
    const job = hold(urgent);
    const started = Date.now();
    const waited = await urgent.giveWay(120);
    expect(waited).toBeGreaterThanOrEqual(110);
    expect(Date.now() - started).toBeLessThan(400);
    expect(urgent.busy).toBe(true);
    job.end();
    await job.done;
  });

  it('passes on what urgent work returns or throws, and stops counting it either way', async () => {
    const urgent = new UrgentWork();
    await expect(urgent.track(async () => 42)).resolves.toBe(42);
    await expect(
      urgent.track(async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await sleep(URGENT_QUIET_MS + 5);
    expect(urgent.busy).toBe(false);
    expect(await urgent.giveWay(1_000)).toBe(0);
  });

  it('paces background slices: at most BACKGROUND_SLICE_WAIT_MS each while urgent work runs', async () => {
    const urgent = new UrgentWork();
    const job = hold(urgent);
    const pace = backgroundPace(urgent);
    const started = Date.now();
    await pace();
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(BACKGROUND_SLICE_WAIT_MS - 2);
    expect(waited).toBeLessThan(BACKGROUND_SLICE_WAIT_MS + 150);
    job.end();
    await job.done;
    // Without UrgentWork (the API), a turn of the event loop and no more.
    const bare = Date.now();
    await backgroundPace(undefined)();
    expect(Date.now() - bare).toBeLessThan(50);
  });
});
