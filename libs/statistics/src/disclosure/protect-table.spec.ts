import { StatisticsError, StatisticsException } from '../statistics.exception';
import { CountCell, CountTable, ProtectedTable } from './disclosure.types';
import { protectTable } from './protect-table';
import { seededRandom, skewedCountTable } from './skewed-table';
import { DisclosureBudgetExceeded } from './suppression-planner';

const table = (rows: Record<string, Record<string, number>>, k?: number): CountTable => ({
  dimensions: ['region', 'topic'],
  cells: Object.entries(rows).flatMap(([region, topics]) =>
    Object.entries(topics).map(([topic, count]) => ({ key: [region, topic], count })),
  ),
  k,
});

const countOf = (release: ProtectedTable, ...key: string[]) =>
  release.cells.find((cell) => cell.key.join('/') === key.join('/'))!.count;

/** Large cells everywhere, so that nothing needs protecting unless a test adds small ones. */
const LARGE = {
  moscow: { legal: 120, psych: 95, emergency: 40 },
  spb: { legal: 80, psych: 60, emergency: 25 },
  kazan: { legal: 30, psych: 22, emergency: 14 },
};

function expectRefused(input: CountTable, code: StatisticsError, field: string): void {
  let thrown: unknown;
  try {
    protectTable(input);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(StatisticsException);
  expect(thrown).toMatchObject({ code, fields: { [field]: [expect.any(String)] } });
}

describe('primary suppression', () => {
  it('releases every cell and total exactly when none is below k', () => {
    const release = protectTable(table(LARGE));
    expect(release.cells.map((c) => c.count)).toEqual([14, 30, 22, 40, 120, 95, 25, 80, 60]);
    expect(release.totals.map((t) => [t.dimensions.join('+'), t.key.join('/'), t.count])).toEqual([
      ['', '', 486],
      ['region', 'kazan', 66],
      ['region', 'moscow', 255],
      ['region', 'spb', 165],
      ['topic', 'emergency', 79],
      ['topic', 'legal', 230],
      ['topic', 'psych', 177],
    ]);
    expect(release.exposedToCoarserReleases).toEqual([]);
  });

  it('never releases a cell from 1 to k − 1, whatever its neighbours', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const truth = skewedCountTable({
        seed,
        dimensions: [
          { name: 'region', size: 20, skew: 1.2 },
          { name: 'topic', size: 6, skew: 0.7 },
        ],
        total: 400,
      });
      const release = protectTable(truth);
      const trueCount = new Map(truth.cells.map((c) => [c.key.join('/'), c.count]));
      const small = release.cells.filter((c) => trueCount.get(c.key.join('/'))! < 10);
      expect(small.length).toBeGreaterThan(0);
      expect(small.filter((c) => c.count !== null)).toEqual([]);
      expect(release.totals.filter((t) => t.count !== null && t.count < 10)).toEqual([]);
    }
  });

  it('releases zeros as zeros, and large cells away from small ones exactly', () => {
    const release = protectTable(
      table({
        ...LARGE,
        tver: { legal: 3, psych: 0, emergency: 12 },
      }),
    );
    expect(countOf(release, 'tver', 'legal')).toBeNull();
    expect(countOf(release, 'tver', 'psych')).toBe(0);
    expect(countOf(release, 'moscow', 'psych')).toBe(95);
    expect(countOf(release, 'spb', 'psych')).toBe(60);
  });

  it('suppresses a total from 1 to k − 1 even when every cell in it is zero but one', () => {
    const release = protectTable(table({ ...LARGE, tver: { legal: 0, psych: 4 } }));
    const tver = release.totals.find((t) => t.key.join() === 'tver')!;
    expect(tver.count).toBeNull();
  });

  it('says nothing about why a value is suppressed', () => {
    const release = protectTable(table({ ...LARGE, tver: { legal: 3, psych: 12 } }));
    for (const value of [...release.cells, ...release.totals])
      expect(Object.keys(value).sort()).toEqual(['count', 'dimensions', 'key']);
  });
});

describe('the threshold k', () => {
  it('defaults to 10', () => {
    const release = protectTable(table({ ...LARGE, tver: { legal: 9, psych: 10 } }));
    expect(release.k).toBe(10);
    expect(countOf(release, 'tver', 'legal')).toBeNull();
  });

  it('can be raised: with k = 20 a cell of 14 is suppressed', () => {
    const release = protectTable(table(LARGE, 20));
    expect(countOf(release, 'kazan', 'emergency')).toBeNull();
    expect(release.cells.filter((c) => c.count !== null && c.count < 20)).toEqual([]);
  });

  it('may be lowered to 5, the floor: counts from 5 to 9 are then released', () => {
    const small = { tula: { legal: 6, psych: 7, emergency: 8 } };
    expect(protectTable(table({ ...LARGE, ...small })).cells.map((c) => c.count)).toContain(null);
    const release = protectTable(table({ ...LARGE, ...small }, 5));
    expect(release.k).toBe(5);
    expect(release.cells.map((c) => c.count)).not.toContain(null);
  });

  it.each([4, 1, 0, -10, 7.5, Number.NaN])('is refused below 5 or not whole: k = %p', (k) => {
    expectRefused(table(LARGE, k), StatisticsError.ThresholdTooLow, 'k');
  });
});

describe('determinism', () => {
  it('the same table in any order, asked any number of times, gives the same release', () => {
    const truth = skewedCountTable({
      seed: 11,
      dimensions: [
        { name: 'region', size: 30, skew: 1.1 },
        { name: 'topic', size: 8, skew: 0.8 },
      ],
      total: 700,
    });
    const first = protectTable(truth);
    const random = seededRandom(5);
    for (let round = 0; round < 5; round++) {
      const shuffled = [...truth.cells];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      expect(protectTable({ ...truth, cells: shuffled })).toEqual(first);
    }
  });

  it('breaks ties between equally good complements by key order', () => {
    const release = protectTable({
      dimensions: ['topic'],
      cells: [
        { key: ['z-last'], count: 20 },
        { key: ['a-first'], count: 20 },
        { key: ['m-small'], count: 3 },
      ],
    });
    expect(release.cells.map((c) => [c.key[0], c.count])).toEqual([
      ['a-first', null],
      ['m-small', null],
      ['z-last', 20],
    ]);
  });
});

describe('the shape of a release', () => {
  it('has a total for every proper subset of the dimensions, coarsest first', () => {
    const cells: CountCell[] = [
      { key: ['2026-01', 'moscow', 'legal'], count: 40 },
      { key: ['2026-02', 'spb', 'psych'], count: 30 },
    ];
    const release = protectTable({ dimensions: ['month', 'region', 'topic'], cells });
    expect([...new Set(release.totals.map((t) => t.dimensions.join('+')))]).toEqual([
      '',
      'month',
      'region',
      'topic',
      'month+region',
      'month+topic',
      'region+topic',
    ]);
    expect(release.cells.map((c) => c.key)).toEqual(cells.map((c) => c.key));
  });

  it('a table with no cells releases a grand total of zero', () => {
    const release = protectTable({ dimensions: ['region'], cells: [] });
    expect(release.cells).toEqual([]);
    expect(release.totals).toEqual([{ dimensions: [], key: [], count: 0 }]);
  });
});

describe('malformed tables', () => {
  const cell = (key: string[], count: number) => ({ key, count });

  it.each([
    ['no dimensions', { dimensions: [], cells: [] }, 'dimensions'],
    ['a repeated dimension', { dimensions: ['region', 'region'], cells: [] }, 'dimensions'],
    ['an empty dimension name', { dimensions: [''], cells: [] }, 'dimensions'],
    ['a key too short', { dimensions: ['region', 'topic'], cells: [cell(['tver'], 3)] }, 'cells'],
    ['a negative count', { dimensions: ['region'], cells: [cell(['tver'], -1)] }, 'cells'],
    ['a fractional count', { dimensions: ['region'], cells: [cell(['tver'], 2.5)] }, 'cells'],
    [
      'a key given twice',
      { dimensions: ['region'], cells: [cell(['tver'], 3), cell(['tver'], 4)] },
      'cells',
    ],
    [
      'more combinations of values than can be counted exactly',
      {
        dimensions: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
        cells: Array.from({ length: 100 }, (_, i) => cell(Array(8).fill(`v${i}`), 1)),
      },
      'cells',
    ],
  ])('are refused, naming the field: %s', (_, input, field) => {
    expectRefused(input as CountTable, StatisticsError.InvalidTable, field);
  });

  it('are refused without repeating a dimension value or a count in the message', () => {
    try {
      protectTable({ dimensions: ['region'], cells: [cell(['tver'], 3), cell(['tver'], 3)] });
      throw new Error('not refused');
    } catch (error) {
      expect(error).toBeInstanceOf(StatisticsException);
      expect((error as Error).message).not.toMatch(/tver|3/);
    }
  });
});

describe('the time budget of disclosure control', () => {
  // A fine four-way breakdown: exact planning takes far longer than a millisecond.
  const fine = skewedCountTable({
    seed: 7,
    total: 1000,
    dimensions: [
      { name: 'channel', size: 5, skew: 0.8 },
      { name: 'outcome', size: 5, skew: 0.8 },
      { name: 'ageBand', size: 8, skew: 0.5 },
      { name: 'genderIdentity', size: 8, skew: 0.8 },
    ],
  });

  it('stops planning with DisclosureBudgetExceeded once the deadline has passed', () => {
    expect(() => protectTable(fine, { deadline: performance.now() - 1 })).toThrow(
      DisclosureBudgetExceeded,
    );
  });

  it('changes nothing when the plan is made in time', () => {
    const small = table({ ...LARGE, kazan: { legal: 3, psych: 22, emergency: 14 } });
    expect(protectTable(small, { deadline: performance.now() + 60_000 })).toEqual(
      protectTable(small),
    );
  });
});
