import { CellCounter } from './bucket-cells';
import { CellQuery, CellSums, countContacts, RawCell, sumCuboid } from './cell-queries';
import { ContactFacts } from './contact-facts';
import { chooseCuboid, CUBOIDS } from './cuboids';
import { canonical, Dimension, DIMENSION, DIMENSIONS } from './dimensions';
import { PERIODS } from './periods';

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sorted = (cells: RawCell[]) =>
  cells.map((c) => `${c.period}|${c.key.join(',')}=${c.count}`).sort((a, b) => a.localeCompare(b));

describe('answering from rollup cells in memory', () => {
  const random = prng(20261203);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const some = (values: readonly string[]) =>
    [...new Set([pick(values), pick(values)])].slice(0, Math.floor(random() * 3));
  // Two months of days with a few contacts each, over a small part of each vocabulary.
  const days = Array.from({ length: 61 }, (_, i) =>
    new Date(Date.UTC(2026, 8, 1 + i)).toISOString().slice(0, 10),
  );
  const contacts: ContactFacts[] = Array.from({ length: 600 }, (_, i) => ({
    id: String(i),
    day: pick(days),
    channel: pick(['phone', 'chat', 'messenger']),
    region: pick(['RU-MOW', 'RU-MOW', 'RU-SPE', 'RU-CE', 'RU-TA']),
    topics: some(['detention', 'violence', 'hiv', 'housing']),
    services: some(['legal', 'psych']),
    outcome: pick(['referred', 'information_given', 'escalated']),
    ageBand: random() < 0.2 ? null : pick(['18-24', '25-34']),
    genderIdentity: random() < 0.2 ? null : pick(['woman', 'man', 'non_binary']),
    immediateRisk: random() < 0.1,
    statsConsented: random() < 0.8,
  }));
  const byDay = new Map<string, CellCounter>();
  for (const c of contacts) {
    if (!byDay.has(c.day)) byDay.set(c.day, new CellCounter());
    byDay.get(c.day)!.addContact(c);
  }
  const buckets = [...byDay].map(([bucket, counter]) => ({ bucket, cells: counter.cells() }));

  it('every cuboid, every period, with and without consent: the same cells as counting the contacts', () => {
    for (const period of PERIODS)
      CUBOIDS.forEach((cuboid, id) => {
        const query: CellQuery = { period, groupBy: cuboid, filters: {} };
        for (const measure of ['contacts', 'consented'] as const) {
          const truth = new CellSums();
          countContacts(contacts, query, measure, truth);
          expect(sorted(sumCuboid(buckets, id, query, measure).list())).toEqual(
            sorted(truth.list()),
          );
        }
      });
  });

  it('random breakdowns with filters a cuboid answers exactly: the same cells and the same excluded count', () => {
    let checked = 0;
    for (let i = 0; i < 400; i++) {
      const groupBy = canonical(DIMENSIONS.filter(() => random() < 0.25));
      const filters: CellQuery['filters'] = {};
      for (const d of DIMENSIONS.filter(() => random() < 0.2)) {
        if (DIMENSION[d].multiValued && groupBy.includes(d)) continue;
        const values = DIMENSION[d].values.filter(() => random() < 0.4);
        filters[d] = DIMENSION[d].multiValued ? values.slice(0, 1) : values;
      }
      const filtered = (Object.keys(filters) as Dimension[]).filter((d) => filters[d]!.length);
      const cuboid = chooseCuboid(canonical([...groupBy, ...filtered]));
      const filterCuboid = chooseCuboid(canonical(filtered));
      if (!cuboid || !filterCuboid) continue;
      const query: CellQuery = { period: pick(PERIODS), groupBy, filters };
      const truth = new CellSums();
      const excluded = countContacts(contacts, query, 'consented', truth);
      expect({
        groupBy,
        filters,
        cells: sorted(sumCuboid(buckets, cuboid.id, query, 'consented').list()),
      }).toEqual({ groupBy, filters, cells: sorted(truth.list()) });
      expect(
        sumCuboid(buckets, filterCuboid.id, { ...query, groupBy: [] }, 'unconsented').total(),
      ).toBe(excluded);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('counting the contacts: a topic filter keeps a contact once, a topic grouping counts it per topic', () => {
    const two: ContactFacts = { ...contacts[0], topics: ['hiv', 'housing'], statsConsented: true };
    const sums = new CellSums();
    countContacts(
      [two],
      { period: 'day', groupBy: [], filters: { topic: ['hiv', 'housing'] } },
      'contacts',
      sums,
    );
    expect(sums.total()).toBe(1);
    const grouped = new CellSums();
    countContacts([two], { period: 'day', groupBy: ['topic'], filters: {} }, 'contacts', grouped);
    expect(grouped.list().map((c) => c.key[0])).toEqual(['hiv', 'housing']);
  });
});
