import {
  BucketCells,
  CellCounter,
  decodeCells,
  encodeCells,
  paddedLength,
  restrictCells,
  sumCells,
} from './bucket-cells';
import { ContactFacts } from './contact-facts';
import { CUBOIDS } from './cuboids';
import { Dimension, DIMENSIONS } from './dimensions';

const contact = (overrides: Partial<ContactFacts> = {}): ContactFacts => ({
  id: 'c',
  day: '2026-10-05',
  channel: 'phone',
  region: 'RU-MOW',
  topics: ['detention'],
  services: ['legal'],
  outcome: 'referred',
  ageBand: '25-34',
  genderIdentity: 'woman',
  immediateRisk: false,
  statsConsented: true,
  ...overrides,
});

/** The cells of one cuboid as "value,value…=contacts/consented", sorted. */
function cellsOf(cells: BucketCells, dimensions: Dimension[]): string[] {
  const id = CUBOIDS.findIndex((c) => c.join() === dimensions.join());
  const cuboid = cells.cuboids[id]!;
  const positions = dimensions.map((d) => DIMENSIONS.indexOf(d));
  const out: string[] = [];
  for (let c = 0; c < cuboid.contacts.length; c++) {
    const key = positions.map((p, j) => cells.values[p][cuboid.keys[c * positions.length + j]]);
    out.push(`${key.join(',')}=${cuboid.contacts[c]}/${cuboid.consented[c]}`);
  }
  return out.sort();
}

describe('rollup cells counted in memory', () => {
  it('counts as the SQL rollups did: none, unstated, true/false, and once per topic and service', () => {
    const counter = new CellCounter();
    counter.addContact(contact({ topics: ['detention', 'police'], services: [] }));
    counter.addContact(
      contact({ topics: [], ageBand: null, genderIdentity: null, statsConsented: false }),
    );
    counter.addContact(
      contact({ immediateRisk: true, topics: ['detention', 'hiv'], services: ['legal', 'psych'] }),
    );
    const cells = counter.cells();
    expect(cellsOf(cells, [])).toEqual(['=3/2']);
    expect(cellsOf(cells, ['topic'])).toEqual([
      'detention=2/2',
      'hiv=1/1',
      'none=1/0',
      'police=1/1',
    ]);
    expect(cellsOf(cells, ['service'])).toEqual(['legal=2/1', 'none=1/1', 'psych=1/1']);
    expect(cellsOf(cells, ['ageBand'])).toEqual(['25-34=2/2', 'unstated=1/0']);
    expect(cellsOf(cells, ['genderIdentity'])).toEqual(['unstated=1/0', 'woman=2/2']);
    expect(cellsOf(cells, ['immediateRisk'])).toEqual(['false=2/1', 'true=1/1']);
    // A contact with two topics and two services is in four topic × service cells.
    expect(cellsOf(cells, ['topic', 'service'])).toEqual([
      'detention,legal=1/1',
      'detention,none=1/1',
      'detention,psych=1/1',
      'hiv,legal=1/1',
      'hiv,psych=1/1',
      'none,legal=1/0',
      'police,none=1/1',
    ]);
    expect(cells.size).toBe(cells.cuboids.reduce((n, c) => n + c!.contacts.length, 0));
  });

  it('adds buckets up cell by cell, whatever order their values were first seen in', () => {
    const a = new CellCounter();
    a.addContact(contact({ region: 'RU-SPE' }));
    a.addContact(contact({ region: 'RU-MOW' }));
    const b = new CellCounter();
    b.addContact(contact({ region: 'RU-MOW', statsConsented: false }));
    b.addContact(contact({ region: 'RU-TA' }));
    const sum = sumCells([a.cells(), b.cells()]);
    expect(cellsOf(sum, ['region'])).toEqual(['RU-MOW=2/1', 'RU-SPE=1/1', 'RU-TA=1/1']);
    expect(cellsOf(sum, [])).toEqual(['=4/3']);
  });

  it('a restricted bucket keeps the cuboids named, the same counts, and weighs only those', () => {
    const counter = new CellCounter();
    counter.addContact(contact({ region: 'RU-SPE', topics: ['detention', 'violence'] }));
    counter.addContact(contact({ region: 'RU-MOW', statsConsented: false }));
    const whole = counter.cells();
    const keep = new Set(CUBOIDS.flatMap((dimensions, id) => (dimensions.length <= 1 ? [id] : [])));
    const small = restrictCells(whole, keep);
    expect(cellsOf(small, ['region'])).toEqual(cellsOf(whole, ['region']));
    expect(cellsOf(small, [])).toEqual(['=2/1']);
    CUBOIDS.forEach((dimensions, id) =>
      expect([dimensions.join('+'), small.cuboids[id] === undefined]).toEqual([
        dimensions.join('+'),
        !keep.has(id) || whole.cuboids[id] === undefined,
      ]),
    );
    expect(small.size).toBe(
      [...keep].reduce((n, id) => n + (whole.cuboids[id]?.contacts.length ?? 0), 0),
    );
    expect(small.size).toBeLessThan(whole.size);
  });

  it('survives sealing: the plaintext decodes to the same cells, for its own row only', () => {
    const counter = new CellCounter();
    for (let i = 0; i < 50; i++)
      counter.addContact(
        contact({ region: i % 3 ? 'RU-MOW' : 'RU-CE', topics: i % 4 ? ['hiv'] : [] }),
      );
    const cells = counter.cells();
    const text = encodeCells('day:2026-10-05', cells);
    const decoded = decodeCells('day:2026-10-05', text);
    for (const cuboid of CUBOIDS)
      expect(cellsOf(decoded, [...cuboid])).toEqual(cellsOf(cells, [...cuboid]));
    expect(decoded.size).toBe(cells.size);
    expect(() => decodeCells('day:2026-10-06', text)).toThrow();
  });

  it('pads the plaintext so that its length tells little about the cells', () => {
    const one = new CellCounter();
    one.addContact(contact());
    const many = new CellCounter();
    for (const region of ['RU-MOW', 'RU-SPE', 'RU-TA', 'RU-CE', 'RU-KDA'])
      many.addContact(contact({ region, topics: ['hiv', 'police'], services: ['psych'] }));
    const lengths = [one, many].map((c) => encodeCells('day:2026-10-05', c.cells()).length);
    expect(lengths).toEqual([4096, 4096]);
    expect(paddedLength(4097)).toBe(8192);
    expect(paddedLength(100_000)).toBe(106_496);
    expect(paddedLength(100_000) / 100_000).toBeLessThan(1.125);
  });
});
