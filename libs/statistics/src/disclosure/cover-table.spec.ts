import { protectCover, withheldCover } from './cover-table';
import { skewedCountTable } from './skewed-table';
import { DisclosureBudgetExceeded } from './suppression-planner';

const NAMES = ['channel', 'outcome', 'ageBand', 'genderIdentity'];
const month = (seed: number, total: number, skews = [0.8, 0.8, 0.8, 0.8]) =>
  skewedCountTable({
    seed,
    total,
    k: 10,
    dimensions: NAMES.map((name, d) => ({ name, size: [5, 5, 8, 8][d], skew: skews[d] })),
  });

/** Every level's sums, from the cells. */
function truthAt(table: ReturnType<typeof month>, level: string[]): Map<string, number> {
  const at = level.map((d) => NAMES.indexOf(d));
  const sums = new Map<string, number>();
  for (const cell of table.cells) {
    const id = at.map((i) => cell.key[i]).join('/');
    sums.set(id, (sums.get(id) ?? 0) + cell.count);
  }
  return sums;
}

describe('protectCover', () => {
  it('releases every level exactly or not at all, and nothing from 1 to k − 1', () => {
    const table = month(1, 4000);
    const cover = protectCover(table);
    expect(cover.withheld).toBe(false);
    let released = 0;
    for (const level of [NAMES, NAMES.slice(0, 2), NAMES.slice(2), NAMES.slice(0, 3)]) {
      const truth = truthAt(table, level);
      for (const row of cover.level(level)) {
        const count = truth.get(row.key.join('/')) ?? 0;
        if (row.count === null) continue;
        released++;
        expect(row.count).toBe(count);
        expect(row.count >= 10).toBe(true);
      }
      // A missing row is a zero; every non-zero one is listed.
      const listed = new Set(cover.level(level).map((row) => row.key.join('/')));
      for (const [id, count] of truth) if (count > 0) expect(listed.has(id)).toBe(true);
    }
    expect(released).toBeGreaterThan(50);
  });

  it('never hides a one-dimensional total of k or more: answers outside the cover publish them', () => {
    for (const seed of [1, 2, 3]) {
      const table = month(seed, 2000);
      const cover = protectCover(table);
      for (const name of NAMES) {
        const truth = truthAt(table, [name]);
        if ([...truth.values()].filter((n) => n > 0 && n < 10).length === 1) continue;
        for (const row of cover.level([name]))
          expect(row.count === null).toBe((truth.get(row.key[0]) ?? 0) < 10);
      }
    }
  });

  it('hides a lone small total with its dimension’s others, which no other answer publishes', () => {
    // One channel so rare that it is the only small channel total.
    const table = month(3, 500, [3.5, 0.8, 0.8, 0.8]);
    const channels = truthAt(table, ['channel']);
    expect([...channels.values()].filter((n) => n > 0 && n < 10)).toHaveLength(1);
    const cover = protectCover(table);
    expect(cover.withheld).toBe(false);
    const hidden = cover.level(['channel']).filter((row) => row.count === null);
    expect(hidden.length).toBeGreaterThanOrEqual(2);
  });

  it('gives the same plan whatever the order of the cells, and withholds a tiny month', () => {
    const table = month(5, 1500);
    const shuffled = { ...table, cells: [...table.cells].reverse() };
    expect(protectCover(shuffled).level(NAMES)).toEqual(protectCover(table).level(NAMES));
    const tiny = { dimensions: NAMES, k: 10, cells: [{ key: ['a', 'b', 'c', 'd'], count: 3 }] };
    const withheld = protectCover(tiny);
    expect(withheld.withheld).toBe(true);
    expect(withheld.level(NAMES)).toEqual([{ key: ['a', 'b', 'c', 'd'], count: null }]);
  });

  it('withheld whole, lists every non-zero value of any level as suppressed, and nothing else', () => {
    const table = month(7, 300);
    const withheld = withheldCover(table);
    expect(withheld.withheld).toBe(true);
    for (const level of [NAMES, ['outcome', 'channel'], ['ageBand'], []]) {
      const nonZero = [...truthAt(table, level)].filter(([, count]) => count > 0);
      const rows = withheld.level(level);
      expect(rows.every((row) => row.count === null)).toBe(true);
      expect(rows.map((row) => row.key.join('/')).sort()).toEqual(nonZero.map(([id]) => id).sort());
    }
  });

  it('stops at its deadline', () => {
    expect(() => protectCover(month(6, 4000), { deadline: performance.now() - 1 })).toThrow(
      DisclosureBudgetExceeded,
    );
  });
});
