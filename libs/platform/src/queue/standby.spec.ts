import { BEHIND_MS, CAUGHT_UP_MS, LOOK_EVERY_MS, QueueLook, Standby } from './standby';

const idle: QueueLook = { waitingHead: null, prioritizedHead: null, ready: 0, earliestDue: null };

/** Looks every LOOK_EVERY_MS from `from` for `ms`, each made by `look(now)`; the last verdict. */
function watch(standby: Standby, from: number, ms: number, look: (now: number) => QueueLook) {
  let taking = standby.taking;
  for (let now = from; now <= from + ms; now += LOOK_EVERY_MS)
    taking = standby.observe(look(now), now);
  return taking;
}

describe('Standby', () => {
  it('stands by while the leader keeps taking what is next in line', () => {
    const standby = new Standby();
    // A steady stream: a new job is next in line at every look, and jobs are always waiting.
    const taking = watch(standby, 0, 10_000, (now) => ({
      ...idle,
      waitingHead: `job-${now}`,
      prioritizedHead: `urgent-${now}`,
      ready: 40,
      earliestDue: now + 500,
    }));
    expect(taking).toBe(false);
  });

  it('joins once the same job has been next in line for BEHIND_MS, not before', () => {
    for (const line of ['waitingHead', 'prioritizedHead'] as const) {
      const standby = new Standby();
      const stuck = { ...idle, [line]: 'job-1', ready: 1 };
      expect(standby.observe(stuck, 0)).toBe(false);
      expect(standby.observe(stuck, BEHIND_MS - 1)).toBe(false);
      expect(standby.observe(stuck, BEHIND_MS)).toBe(true);
    }
  });

  it('joins when a delayed job is overdue by BEHIND_MS: nobody moves due timers while the leader hangs', () => {
    const standby = new Standby();
    expect(standby.observe({ ...idle, earliestDue: 10_000 }, 10_000 + BEHIND_MS - 1)).toBe(false);
    expect(standby.observe({ ...idle, earliestDue: 10_000 }, 10_000 + BEHIND_MS)).toBe(true);
  });

  it('stays while anything is ready, and stands by again after CAUGHT_UP_MS of nothing', () => {
    const standby = new Standby();
    standby.observe({ ...idle, waitingHead: 'a', ready: 5 }, 0);
    expect(standby.observe({ ...idle, waitingHead: 'a', ready: 5 }, BEHIND_MS)).toBe(true);
    // Joined, it drains the backlog: new heads each time, but jobs still waiting. It stays.
    const busyUntil = BEHIND_MS + 5_000;
    expect(
      watch(standby, BEHIND_MS, 5_000, (now) => ({ ...idle, waitingHead: `j${now}`, ready: 3 })),
    ).toBe(true);
    // A due timer not yet moved counts as work ready, too.
    expect(standby.observe({ ...idle, earliestDue: busyUntil }, busyUntil + 1)).toBe(true);
    // Nothing ready: it stays for CAUGHT_UP_MS, then stands by.
    expect(standby.observe(idle, busyUntil + CAUGHT_UP_MS)).toBe(true);
    expect(standby.observe(idle, busyUntil + 1 + CAUGHT_UP_MS)).toBe(false);
  });

  it('forgets what it saw when reset (it leads now, or is sealed)', () => {
    const standby = new Standby();
    standby.observe({ ...idle, waitingHead: 'a', ready: 1 }, 0);
    standby.reset();
    // The same head again: the clock starts over.
    expect(standby.observe({ ...idle, waitingHead: 'a', ready: 1 }, BEHIND_MS)).toBe(false);
    expect(standby.observe({ ...idle, waitingHead: 'a', ready: 1 }, 2 * BEHIND_MS)).toBe(true);
    standby.reset();
    expect(standby.taking).toBe(false);
  });
});
