import { ExactRowSpace, SparseColumn } from './exact-row-space';
import { seededRandom } from './skewed-table';

const cell = (...rows: number[]): SparseColumn => ({ rows, sign: 1 });
const total = (row: number): SparseColumn => ({ rows: [row], sign: -1 });

function spaceOf(columns: readonly SparseColumn[], numberLimit?: number): ExactRowSpace {
  const space = new ExactRowSpace(numberLimit);
  columns.forEach((column, unknown) => space.add(unknown, column));
  return space;
}

/** Random columns with ±1 entries over a few equations: not totally unimodular. */
function randomColumns(seed: number, equations: number, count: number): SparseColumn[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const rows = new Set<number>();
    const size = 1 + Math.floor(random() * 4);
    while (rows.size < size) rows.add(Math.floor(random() * equations));
    return { rows: [...rows], sign: random() < 0.7 ? 1 : -1 };
  });
}

/** Rank by fraction-free elimination over BigInt, independently of the module. */
function rank(columns: readonly SparseColumn[], equations: number): number {
  const matrix = Array.from({ length: equations }, (_, row) =>
    columns.map((column) => (column.rows.includes(row) ? BigInt(column.sign) : 0n)),
  );
  let found = 0;
  for (let col = 0; col < columns.length && found < equations; col++) {
    const pivot = matrix.findIndex((row, i) => i >= found && row[col] !== 0n);
    if (pivot < 0) continue;
    [matrix[found], matrix[pivot]] = [matrix[pivot], matrix[found]];
    for (let i = found + 1; i < equations; i++) {
      const factor = matrix[i][col];
      if (factor !== 0n)
        matrix[i] = matrix[i].map(
          (value, j) => value * matrix[found][col] - factor * matrix[found][j],
        );
    }
    found++;
  }
  return found;
}

describe('ExactRowSpace', () => {
  it('an unknown is determined exactly when dropping its column lowers the rank', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const columns = randomColumns(seed, 8, 4 + (seed % 9));
      const full = rank(columns, 8);
      const expected = columns.flatMap((_, u) =>
        rank(
          columns.filter((__, j) => j !== u),
          8,
        ) < full
          ? [u]
          : [],
      );
      expect(spaceOf(columns).determined()).toEqual(expected);
    }
  });

  it('a lone unknown in a public sum is determined, two are not', () => {
    const space = new ExactRowSpace();
    space.add(0, cell(0));
    expect(space.determined()).toEqual([0]);
    space.add(1, cell(0));
    expect(space.determined()).toEqual([]);
  });

  it('a cell equal to an unknown total is not determined; with a public total it is', () => {
    expect(spaceOf([total(0), cell(0)]).determined()).toEqual([]);
    expect(spaceOf([cell(0)]).determined()).toEqual([0]);
  });

  it('a bridge between two cycles of a two-way table is determined, the cycles are not', () => {
    // Rows are equations 0–3, columns 4–7; cycle A on rows 0,1 × columns 4,5, cycle B on
    // rows 2,3 × columns 6,7, and the bridge (row 1, column 6).
    const columns = [
      cell(0, 4),
      cell(0, 5),
      cell(1, 4),
      cell(1, 5),
      cell(2, 6),
      cell(2, 7),
      cell(3, 6),
      cell(3, 7),
      cell(1, 6),
    ];
    const space = spaceOf(columns);
    expect(space.determined()).toEqual([8]);
    // A cell closing a cycle through the bridge hides it; one inside cycle A does not.
    expect(space.wouldHide(8, cell(0, 6))).toBe(true);
    expect(space.wouldHide(8, cell(0, 4))).toBe(false);
    // A cell touching an equation with no unknown yet would itself be determined.
    expect(space.wouldHide(8, cell(0, 9))).toBe(false);
  });

  it('wouldHide predicts exactly whether adding the column leaves the target undetermined', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const columns = randomColumns(seed, 12, 14);
      const space = spaceOf(columns);
      for (const target of space.determined())
        for (const candidate of randomColumns(seed + 1000, 12, 10)) {
          const after = spaceOf([...columns, candidate]);
          expect(space.wouldHide(target, candidate)).toBe(!after.determined().includes(target));
        }
    }
  });

  it('a clone answers like the original and then evolves on its own', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const [first, second] = [randomColumns(seed, 10, 8), randomColumns(seed + 77, 10, 6)];
      const original = spaceOf(first);
      const copy = original.clone();
      second.forEach((column, i) => copy.add(first.length + i, column));
      expect(original.determined()).toEqual(spaceOf(first).determined());
      expect(copy.determined()).toEqual(spaceOf([...first, ...second]).determined());
    }
  });

  it('adding an unknown never makes another one determined', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const columns = randomColumns(seed, 10, 16);
      const space = new ExactRowSpace();
      let previous = new Set<number>();
      columns.forEach((column, unknown) => {
        space.add(unknown, column);
        const determined = space.determined();
        expect(determined.filter((u) => u !== unknown && !previous.has(u))).toEqual([]);
        previous = new Set(determined);
      });
    }
  });

  it('when doubles could lose exactness it switches to BigInt and answers the same', () => {
    let switched = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const columns = randomColumns(seed, 9, 12);
      const exact = spaceOf(columns, 1);
      if (exact.usesBigInt) switched++;
      expect(exact.determined()).toEqual(spaceOf(columns).determined());
      const probe = randomColumns(seed + 500, 9, 1)[0];
      for (const target of exact.determined())
        expect(exact.wouldHide(target, probe)).toBe(spaceOf(columns).wouldHide(target, probe));
    }
    expect(switched).toBeGreaterThan(10);
  });
});
