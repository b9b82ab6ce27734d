import { CellCounter } from './bucket-cells';
import { ContactFacts } from './contact-facts';
import { COUNT_SLICE, countByDay } from './day-counting';

const REGIONS = ['RU-MOW', 'RU-SPE', 'RU-KDA', 'RU-SVE'];
const TOPICS = ['detention', 'violence', 'family', 'work', 'health'];

/** Contacts over three days with varied values, some without statistics consent. */
const contacts: ContactFacts[] = Array.from({ length: 500 }, (_, i) => ({
  id: `c${i}`,
  day: `2026-10-0${5 + (i % 3)}`,
  channel: i % 2 ? 'phone' : 'chat',
  region: REGIONS[i % REGIONS.length],
  topics: [TOPICS[i % TOPICS.length], ...(i % 7 === 0 ? [TOPICS[(i + 1) % TOPICS.length]] : [])],
  services: i % 4 === 0 ? [] : ['legal'],
  outcome: i % 5 ? 'referred' : 'resolved',
  ageBand: i % 6 ? '25-34' : null,
  genderIdentity: i % 3 ? 'woman' : null,
  immediateRisk: i % 11 === 0,
  statsConsented: i % 9 !== 0,
}));

describe('counting contacts into their days', () => {
  it('lets the event loop turn between slices: a rollup must not hold up the timers', async () => {
    // Counting does no I/O: any turn of the event loop while it runs is one it gave.
    let turns = 0;
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      turns += 1;
      setImmediate(tick);
    };
    setImmediate(tick);
    try {
      await countByDay(contacts);
    } finally {
      ticking = false;
    }
    expect(COUNT_SLICE).toBeLessThanOrEqual(50);
    expect(turns).toBeGreaterThanOrEqual(Math.floor((contacts.length - 1) / COUNT_SLICE));
  });

  it('waits on the pace it is given between slices (in the worker: emergency work first)', async () => {
    // What counting does between slices, in order: the contacts counted so far, at each pace.
    let counted = 0;
    const paced: number[] = [];
    const byDay = await countByDay(
      contacts.map((c) => ({
        ...c,
        get day() {
          counted += 1;
          return c.day;
        },
      })),
      async () => {
        paced.push(counted);
      },
    );
    const slices = Math.ceil(contacts.length / COUNT_SLICE);
    expect(paced).toEqual(Array.from({ length: slices - 1 }, (_, i) => (i + 1) * COUNT_SLICE));
    expect(byDay).toEqual(await countByDay(contacts));
  });

  it('counts exactly what counting them in one go counts', async () => {
    const byDay = await countByDay(contacts);
    const days = [...new Set(contacts.map((c) => c.day))];
    expect([...byDay.keys()].sort()).toEqual(days.sort());
    for (const day of days) {
      const whole = new CellCounter();
      for (const c of contacts) if (c.day === day) whole.addContact(c);
      expect(byDay.get(day)).toEqual(whole.cells());
    }
  });
});
