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

/**
 * The attacker of a two-dimensional cover, exactly: every table of whole non-negative counts
 * that gives what the cover releases at each level (a value, a public zero, or suppressed),
 * enumerated. Returns the suppressed values that take only one value in all of them.
 */
function pinnedBy2dAttacker(cells: Array<{ key: string[]; count: number }>, k: number): string[] {
  const cover = protectCover({ dimensions: ['a', 'b'], cells, k });
  expect(cover.withheld).toBe(false);
  const rows = [...new Set(cells.map((c) => c.key[0]))].sort();
  const cols = [...new Set(cells.map((c) => c.key[1]))].sort();
  const released = (level: string[]) =>
    new Map(cover.level(level).map((row) => [row.key.join('/'), row.count]));
  const [cellOf, rowOf, colOf] = [released(['a', 'b']), released(['a']), released(['b'])];
  const grand = released([]).get('')!;
  const known = (of: Map<string, number | null>, id: string) => (of.has(id) ? of.get(id)! : 0);
  const rowTotal = rows.map((r) => known(rowOf, r));
  const colTotal = cols.map((c) => known(colOf, c));
  const grid = rows.map((r) => cols.map((c) => known(cellOf, `${r}/${c}`) ?? 0));
  const unknown = rows.flatMap((r, i) =>
    cols.flatMap((c, j) => (known(cellOf, `${r}/${c}`) === null ? [[i, j]] : [])),
  );
  const rowSum = grid.map((row) => row.reduce((a, b) => a + b, 0));
  const colSum = cols.map((_, j) => grid.reduce((a, row) => a + row[j], 0));
  const seen = new Map<string, Set<number>>();
  const note = (id: string, value: number) => seen.set(id, (seen.get(id) ?? new Set()).add(value));
  const search = (u: number, all: number): void => {
    if (u === unknown.length) {
      if (all !== grand) return;
      if (rowTotal.some((t, i) => t !== null && t !== rowSum[i])) return;
      if (colTotal.some((t, j) => t !== null && t !== colSum[j])) return;
      for (const [i, j] of unknown) note(`${rows[i]}/${cols[j]}`, grid[i][j]);
      rows.forEach((r, i) => rowTotal[i] === null && note(r, rowSum[i]));
      cols.forEach((c, j) => colTotal[j] === null && note(c, colSum[j]));
      return;
    }
    const [i, j] = unknown[u];
    const bound = Math.min(
      grand! - all,
      rowTotal[i] === null ? Infinity : rowTotal[i]! - rowSum[i],
      colTotal[j] === null ? Infinity : colTotal[j]! - colSum[j],
    );
    for (let value = 0; value <= bound; value++) {
      grid[i][j] = value;
      rowSum[i] += value;
      colSum[j] += value;
      search(u + 1, all + value);
      rowSum[i] -= value;
      colSum[j] -= value;
    }
    grid[i][j] = 0;
  };
  search(
    0,
    rowSum.reduce((a, b) => a + b, 0),
  );
  return [...seen].filter(([, values]) => values.size < 2).map(([id]) => id);
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

  it('leaves no suppressed value of a sparse month pinned: a hypercube’s zero corner never goes below 0', () => {
    // Sparse months whose cheapest hypercubes have zeros at corners of both signs: such a
    // perturbation can go neither up nor down, and taking it as a witness would let the
    // attacker pin the cells it was to hide.
    const month = (...cells: string[]) =>
      cells.map((cell) => {
        const [, a, b, count] = /^(a\d)(b\d)=(\d+)$/.exec(cell)!;
        return { key: [a, b], count: Number(count) };
      });
    for (const cells of [
      month('a1b1=6', 'a1b2=2', 'a2b3=7'),
      month('a0b3=5', 'a1b3=2', 'a2b0=9', 'a2b1=6'),
      month('a0b0=2', 'a0b2=1', 'a0b3=2', 'a1b2=5', 'a2b3=7'),
      month('a0b0=6', 'a0b2=2', 'a1b3=8'),
    ]) {
      expect(cells.some((cell) => cell.count < 5)).toBe(true);
      expect(pinnedBy2dAttacker(cells, 5)).toEqual([]);
    }
  });

  it('stops at its deadline', () => {
    expect(() => protectCover(month(6, 4000), { deadline: performance.now() - 1 })).toThrow(
      DisclosureBudgetExceeded,
    );
  });
});
