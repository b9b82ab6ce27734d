import { CountCell, CountTable, ProtectedTable } from './disclosure.types';
import { protectTable } from './protect-table';
import { seededRandom, skewedCountTable } from './skewed-table';

/*
 * An attacker, written here from scratch and sharing no code with the module: it reads a
 * release, writes down every linear equation it implies, and solves them by Gauss–Jordan
 * elimination over exact rationals (BigInt). Any suppressed value it pins down is a
 * disclosure. Two attackers are played:
 * - release-only: knows every released cell and total, and that absent cells are zero;
 * - conservative: also knows every true marginal total ≥ k, whether released or not, as if
 *   a coarser breakdown had published it. Totals over dimensions that have a single value
 *   among the non-zero cells are the cells themselves (the month of a one-month table), so
 *   a "coarser" breakdown that only drops such dimensions is this very breakdown and hands
 *   the attacker nothing new; see the last describe block for why it must be so.
 */

/** 'literal': the conservative attacker without the single-valued-dimension exception. */
type Knowledge = 'release-only' | 'conservative' | 'literal';

interface Fraction {
  n: bigint;
  d: bigint;
}

const ZERO: Fraction = { n: 0n, d: 1n };

function fraction(n: bigint, d: bigint): Fraction {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n < 0n ? -n : n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

const minus = (a: Fraction, b: Fraction) => fraction(a.n * b.d - b.n * a.d, a.d * b.d);
const times = (a: Fraction, b: Fraction) => fraction(a.n * b.n, a.d * b.d);
const over = (a: Fraction, b: Fraction) => fraction(a.n * b.d, a.d * b.n);

/** Σ coefficient·unknown = constant, unknowns by name. */
interface Equation {
  terms: Map<string, Fraction>;
  constant: Fraction;
}

/** Gauss–Jordan; returns every unknown whose value the equations fix, with that value. */
function solve(equations: Equation[]): Map<string, Fraction> {
  const pivots: { name: string; row: Equation }[] = [];
  for (const equation of equations) {
    const row = { terms: new Map(equation.terms), constant: equation.constant };
    for (const pivot of pivots) eliminate(row, pivot.row, pivot.name);
    const name = [...row.terms.keys()].sort()[0];
    if (name === undefined) {
      if (row.constant.n !== 0n) throw new Error('the release contradicts itself');
      continue;
    }
    const scale = row.terms.get(name)!;
    for (const [other, value] of row.terms) row.terms.set(other, over(value, scale));
    row.constant = over(row.constant, scale);
    for (const pivot of pivots) eliminate(pivot.row, row, name);
    pivots.push({ name, row });
  }
  // Reduced: a pivot row with no other unknown left states the pivot's value.
  const fixed = new Map<string, Fraction>();
  for (const { name, row } of pivots) if (row.terms.size === 1) fixed.set(name, row.constant);
  return fixed;
}

/** target −= (target's coefficient of `name`) × pivotRow, whose coefficient of `name` is 1. */
function eliminate(target: Equation, pivotRow: Equation, name: string): void {
  const factor = target.terms.get(name);
  if (!factor) return;
  for (const [other, value] of pivotRow.terms) {
    const next = minus(target.terms.get(other) ?? ZERO, times(factor, value));
    if (next.n === 0n) target.terms.delete(other);
    else target.terms.set(other, next);
  }
  target.constant = minus(target.constant, times(factor, pivotRow.constant));
}

interface Slice {
  name: string;
  dimensions: number[];
  key: string[];
}

/** Everything the attacker reads off the table and release: the slices and who sits in them. */
function attackerView(truth: CountTable, release: ProtectedTable, knowledge: Knowledge) {
  const k = release.k;
  const dimensionCount = release.dimensions.length;
  const cellName = (key: readonly string[]) => `cell ${JSON.stringify(key)}`;
  const totalName = (dims: readonly number[], key: readonly string[]) =>
    `total ${JSON.stringify(dims)} ${JSON.stringify(key)}`;
  const trueCell = new Map(truth.cells.map((c) => [cellName(c.key), c.count]));
  const trueTotals = new Map<string, number>();
  const slices: Slice[] = [];
  for (let mask = 0; mask < (1 << dimensionCount) - 1; mask++) {
    const dims = [...Array(dimensionCount).keys()].filter((d) => (mask >> d) & 1);
    const seen = new Set<string>();
    for (const cell of truth.cells) {
      const key = dims.map((d) => cell.key[d]);
      const name = totalName(dims, key);
      trueTotals.set(name, (trueTotals.get(name) ?? 0) + cell.count);
      if (!seen.has(name)) slices.push({ name, dimensions: dims, key });
      seen.add(name);
    }
  }
  const informative = [...Array(dimensionCount).keys()].filter(
    (d) => new Set(truth.cells.filter((c) => c.count > 0).map((c) => c.key[d])).size > 1,
  );
  const knownFromElsewhere = (slice: Slice) =>
    knowledge !== 'release-only' &&
    trueTotals.get(slice.name)! >= k &&
    (knowledge === 'literal' || !informative.every((d) => slice.dimensions.includes(d)));
  const releasedCell = new Map(release.cells.map((c) => [cellName(c.key), c.count]));
  const releasedTotal = new Map(
    release.totals.map((t) => [
      totalName(
        t.dimensions.map((name) => release.dimensions.indexOf(name)),
        t.key,
      ),
      t.count,
    ]),
  );
  return {
    k,
    cellName,
    trueCell,
    trueTotals,
    slices,
    releasedCell,
    releasedTotal,
    knownFromElsewhere,
    cellsOf: (slice: Slice) =>
      release.cells.filter((c) => slice.dimensions.every((d, i) => c.key[d] === slice.key[i])),
  };
}

/**
 * The suppressed values (by name) the attacker can compute, with the values it computes.
 * `hideEveryCell` plays the attacker against a release that hides every non-zero cell.
 */
function attack(
  truth: CountTable,
  release: ProtectedTable,
  knowledge: Knowledge,
  hideEveryCell = false,
): Map<string, Fraction> {
  const view = attackerView(truth, release, knowledge);
  const cellValue = (key: readonly string[]) =>
    hideEveryCell && view.trueCell.get(view.cellName(key))! > 0
      ? null
      : view.releasedCell.get(view.cellName(key))!;
  const equations: Equation[] = view.slices.map((slice) => {
    const terms = new Map<string, Fraction>();
    let constant = 0n;
    for (const cell of view.cellsOf(slice)) {
      const value = cellValue(cell.key);
      if (value === null) terms.set(view.cellName(cell.key), { n: 1n, d: 1n });
      else constant -= BigInt(value);
    }
    const released = hideEveryCell ? null : view.releasedTotal.get(slice.name)!;
    const total = view.knownFromElsewhere(slice) ? view.trueTotals.get(slice.name)! : released;
    if (total === null) terms.set(slice.name, { n: -1n, d: 1n });
    else constant += BigInt(total);
    return { terms, constant: { n: constant, d: 1n } };
  });
  const fixed = solve(equations);
  // The attacker must be right about what it computes, or it proves nothing.
  for (const [name, value] of fixed) {
    const truthValue = view.trueCell.get(name) ?? view.trueTotals.get(name);
    expect({ name, value: `${value.n}/${value.d}` }).toEqual({ name, value: `${truthValue}/1` });
  }
  return fixed;
}

function suppressedNames(truth: CountTable, release: ProtectedTable): Set<string> {
  const view = attackerView(truth, release, 'release-only');
  return new Set([
    ...release.cells.filter((c) => c.count === null).map((c) => view.cellName(c.key)),
    ...view.slices.filter((s) => view.releasedTotal.get(s.name) === null).map((s) => s.name),
  ]);
}

function exposureNames(release: ProtectedTable): string[] {
  return release.exposedToCoarserReleases.map((ref) =>
    ref.dimensions.length === release.dimensions.length
      ? `cell ${JSON.stringify(ref.key)}`
      : `total ${JSON.stringify(ref.dimensions.map((d) => release.dimensions.indexOf(d)))} ${JSON.stringify(ref.key)}`,
  );
}

/** Every guarantee the module makes, checked on one table. */
function expectProtected(truth: CountTable): ProtectedTable {
  const release = protectTable(truth);
  const k = release.k;
  const view = attackerView(truth, release, 'release-only');
  // Rule 1, and exactness of what is released.
  for (const cell of release.cells) {
    const trueCount = view.trueCell.get(view.cellName(cell.key))!;
    if (trueCount > 0 && trueCount < k) expect(cell).toMatchObject({ count: null });
    else if (cell.count !== null) expect(cell.count).toBe(trueCount);
  }
  for (const slice of view.slices) {
    const released = view.releasedTotal.get(slice.name);
    const trueCount = view.trueTotals.get(slice.name)!;
    expect(released === undefined).toBe(false);
    if (trueCount > 0 && trueCount < k)
      expect({ [slice.name]: released }).toEqual({ [slice.name]: null });
    else if (released !== null) expect(released).toBe(trueCount);
  }
  expect(release.totals).toHaveLength(view.slices.length);
  // Rule 2, release-only attacker: nothing suppressed can be computed.
  const suppressed = suppressedNames(truth, release);
  const leaked = [...attack(truth, release, 'release-only').keys()].filter((n) =>
    suppressed.has(n),
  );
  expect(leaked).toEqual([]);
  // Conservative attacker: it computes only values beyond any cell suppression (computed even
  // when every non-zero cell is hidden), and those are exactly the reported exposures, with
  // the cells of 1 pinned by a line that had nothing else to hide (see below).
  const exposures = exposureNames(release);
  const leaks = [...attack(truth, release, 'conservative').keys()].filter((n) => suppressed.has(n));
  const unavoidable = attack(truth, release, 'conservative', true);
  expect(leaks.filter((name) => !unavoidable.has(name))).toEqual([]);
  const pinned = cellsPinnedAtOne(truth, release, unavoidable);
  expect([...new Set([...leaks, ...pinned])].sort()).toEqual([...exposures].sort());
  expectNoLineOfHiddenOnes(truth, release);
  return release;
}

/**
 * Outside the linear model: a listed suppressed cell is at least 1, so hidden cells of a line
 * with a released total that are all 1 are each exactly 1.
 */
function expectNoLineOfHiddenOnes(truth: CountTable, release: ProtectedTable): void {
  const view = attackerView(truth, release, 'release-only');
  for (const line of linesOf(view, release)) {
    if (view.releasedTotal.get(line.name) === null) continue;
    const hidden = hiddenCells(view, line);
    const allOnes = hidden.every((c) => view.trueCell.get(view.cellName(c.key)) === 1);
    expect({ line: line.name, pinned: hidden.length > 1 && allOnes }).toEqual({
      line: line.name,
      pinned: false,
    });
  }
}

/**
 * Hidden cells of 1 that the conservative attacker pins at 1: all the hidden cells of a line
 * with a total ≥ k are 1, and every cell of it still released is one that attacker computes
 * anyway, so no complement could have given them a range.
 */
function cellsPinnedAtOne(
  truth: CountTable,
  release: ProtectedTable,
  unavoidable: Map<string, Fraction>,
): Set<string> {
  const view = attackerView(truth, release, 'release-only');
  const pinned = new Set<string>();
  for (const line of linesOf(view, release)) {
    const hidden = hiddenCells(view, line);
    const nothingToAdd = view
      .cellsOf(line)
      .filter((c) => c.count !== null && c.count > 0)
      .every((c) => unavoidable.has(view.cellName(c.key)));
    const ones = hidden.every((c) => view.trueCell.get(view.cellName(c.key)) === 1);
    if (view.trueTotals.get(line.name)! >= view.k && hidden.length > 1 && ones && nothingToAdd)
      for (const c of hidden) pinned.add(view.cellName(c.key));
  }
  return pinned;
}

function hiddenCells(view: ReturnType<typeof attackerView>, line: Slice) {
  return view.cellsOf(line).filter((c) => c.count === null);
}

function linesOf(view: ReturnType<typeof attackerView>, release: ProtectedTable): Slice[] {
  return view.slices.filter((s) => s.dimensions.length === release.dimensions.length - 1);
}

const cells = (rows: Record<string, Record<string, number>>): CountCell[] =>
  Object.entries(rows).flatMap(([row, columns]) =>
    Object.entries(columns).map(([column, count]) => ({ key: [row, column], count })),
  );

const released = (release: ProtectedTable, ...key: string[]) =>
  release.cells.find((c) => JSON.stringify(c.key) === JSON.stringify(key))!.count;

describe('the attacker used to audit releases', () => {
  it('computes a small cell that only primary suppression hides, so its verdicts can fail', () => {
    const truth: CountTable = {
      dimensions: ['region', 'topic'],
      cells: cells({ a: { x: 50, y: 3, z: 40 }, b: { x: 30, y: 20, z: 25 } }),
    };
    const naive: ProtectedTable = {
      ...protectTable(truth),
      cells: truth.cells.map((c) => ({
        ...c,
        dimensions: truth.dimensions,
        count: c.count < 10 ? null : c.count,
      })),
    };
    const fixed = attack(truth, naive, 'release-only');
    expect(fixed.get('cell ["a","y"]')).toEqual({ n: 3n, d: 1n });
  });

  it('computes a suppressed total from its released siblings and the grand total', () => {
    const truth: CountTable = {
      dimensions: ['region'],
      cells: [
        { key: ['a'], count: 50 },
        { key: ['b'], count: 4 },
      ],
    };
    const release = protectTable(truth);
    const naive: ProtectedTable = {
      ...release,
      cells: [
        { dimensions: ['region'], key: ['a'], count: 50 },
        { dimensions: ['region'], key: ['b'], count: null },
      ],
    };
    expect(attack(truth, naive, 'release-only').get('cell ["b"]')).toEqual({ n: 4n, d: 1n });
  });
});

describe('complementary suppression on crafted tables', () => {
  it('a single small cell in a row of large ones gets complements in its row and column', () => {
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({
        a: { x: 50, y: 3, z: 40 },
        b: { x: 30, y: 20, z: 25 },
        c: { x: 60, y: 45, z: 35 },
      }),
    });
    expect(released(release, 'a', 'y')).toBeNull();
    expect(release.cells.filter((c) => c.count === null)).toHaveLength(4);
    expect(release.exposedToCoarserReleases).toEqual([]);
  });

  it('two small cells in one row, each alone in its column, still cannot be told apart', () => {
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({
        a: { w: 70, x: 2, y: 4, z: 50 },
        b: { w: 30, x: 20, y: 25, z: 40 },
        c: { w: 45, x: 60, y: 35, z: 55 },
      }),
    });
    expect([released(release, 'a', 'x'), released(release, 'a', 'y')]).toEqual([null, null]);
  });

  it('a 2×2 block of small cells protects itself without touching anything else', () => {
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({
        a: { x: 2, y: 3, z: 40 },
        b: { x: 4, y: 5, z: 25 },
        c: { x: 60, y: 45, z: 35 },
      }),
    });
    expect(release.cells.filter((c) => c.count === null).map((c) => c.key)).toEqual([
      ['a', 'x'],
      ['a', 'y'],
      ['b', 'x'],
      ['b', 'y'],
    ]);
  });

  it('when the only complement for a small total is another total, that total is suppressed', () => {
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({ a: { x: 6, y: 6 }, b: { x: 1, y: 1 } }),
    });
    const regionTotals = release.totals.filter((t) => t.dimensions.join() === 'region');
    expect(regionTotals.map((t) => t.count)).toEqual([null, null]);
    expect(release.exposedToCoarserReleases).toEqual([{ dimensions: ['region'], key: ['b'] }]);
  });

  it('a one-row table suppresses the next smallest cell of the row', () => {
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({ a: { x: 50, y: 3, z: 40, w: 12 } }),
    });
    expect(release.cells.map((c) => c.count)).toEqual([null, 50, null, 40]);
  });

  it('a one-dimension table suppresses a second category and keeps the grand total', () => {
    const release = expectProtected({
      dimensions: ['region'],
      cells: [20, 3, 15, 80].map((count, i) => ({ key: [`r${i}`], count })),
    });
    expect(release.cells.map((c) => c.count)).toEqual([20, null, null, 80]);
    expect(release.totals).toEqual([{ dimensions: [], key: [], count: 118 }]);
  });

  it('a small cell bridging two self-protecting blocks, which every line rule accepts, is still hidden', () => {
    // Every row and column holds 0 or ≥ 2 small cells, yet (r2, c3) is the only link between
    // the two blocks: rows r1, r2 minus columns c1, c2 isolate it. No single released cell
    // closes a cycle through it either, so the audit must build one.
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({
        r1: { c1: 2, c2: 3, c5: 40 },
        r2: { c1: 4, c2: 5, c3: 6, c5: 30 },
        r3: { c3: 2, c4: 3, c5: 50 },
        r4: { c3: 4, c4: 5, c5: 60 },
        r5: { c1: 40, c2: 30, c3: 50, c4: 60, c5: 70 },
      }),
    });
    expect(released(release, 'r2', 'c3')).toBeNull();
    expect(release.exposedToCoarserReleases).toEqual([]);
  });

  it('a complement the conservative attacker could compute anyway is never relied on', () => {
    // (r1, B) looks like the best partner for the small (r1, A), but column B is it plus
    // (r2, B), which is all of row r2: the totals alone give it away.
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({ r1: { A: 3, B: 12, C: 40 }, r2: { B: 25 }, r3: { A: 50, C: 60 } }),
    });
    expect(released(release, 'r1', 'A')).toBeNull();
    expect(released(release, 'r1', 'B')).toBe(12);
    expect(release.exposedToCoarserReleases).toEqual([]);
  });

  it('a public row whose hidden cells are all 1 gets a complement, so none is pinned at 1', () => {
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({
        moscow: { legal: 120, psych: 95, asylum: 1, hiv: 1 },
        tver: { legal: 12, psych: 15, asylum: 2, hiv: 3 },
        kursk: { legal: 30, psych: 11, asylum: 4, hiv: 2 },
      }),
    });
    expect([released(release, 'moscow', 'asylum'), released(release, 'moscow', 'hiv')]).toEqual([
      null,
      null,
    ]);
    expect(released(release, 'moscow', 'psych')).toBeNull();
  });

  it('a region whose calls were one per topic has its total hidden, or each cell would be 1', () => {
    const topics = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    const spread = Object.fromEntries(topics.map((t) => [t, 1]));
    const big = Object.fromEntries(topics.map((t, i) => [t, 20 + i]));
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({ tver: spread, moscow: big, spb: big }),
    });
    const tver = release.totals.find((t) => t.key.join() === 'tver')!;
    expect(tver.count).toBeNull();
    expect(release.exposedToCoarserReleases).toContainEqual({
      dimensions: ['region', 'topic'],
      key: ['tver', 'a'],
    });
  });

  it('cells of 1 whose only possible complement is known anyway also get their total hidden', () => {
    // (tver, c) is all of column c, so hiding it would not give (tver, a) and (tver, b) a range.
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({
        tver: { a: 1, b: 1, c: 30 },
        moscow: { a: 20, b: 40 },
        spb: { a: 25, b: 35 },
      }),
    });
    expect(released(release, 'tver', 'c')).toBe(30);
    expect(release.totals.find((t) => t.key.join() === 'tver')!.count).toBeNull();
  });

  it('a table of all small cells releases no cell and no total below k', () => {
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({ a: { x: 1, y: 2, z: 3 }, b: { x: 4, y: 5, z: 6 }, c: { x: 7, y: 8, z: 9 } }),
    });
    expect(release.cells.every((c) => c.count === null)).toBe(true);
  });

  it('a lone small region among large ones is hidden from the release by suppressing a sibling total', () => {
    const release = expectProtected({
      dimensions: ['region', 'topic'],
      cells: cells({
        a: { x: 50, y: 30, z: 40 },
        b: { x: 30, y: 20, z: 25 },
        c: { x: 3 },
      }),
    });
    expect(release.exposedToCoarserReleases).toContainEqual({ dimensions: ['region'], key: ['c'] });
  });

  it('a single small cell in a three-dimensional table of large cells is protected', () => {
    const truth: CountCell[] = [];
    for (const m of ['m1', 'm2', 'm3'])
      for (const r of ['a', 'b', 'c'])
        for (const t of ['x', 'y', 'z'])
          truth.push({ key: [m, r, t], count: 20 + ((truth.length * 7) % 31) });
    truth[13] = { key: truth[13].key, count: 2 };
    const release = expectProtected({ dimensions: ['month', 'region', 'topic'], cells: truth });
    expect(release.cells[13].count).toBeNull();
    expect(release.exposedToCoarserReleases).toEqual([]);
  });

  it('three-dimensional traps: small cells spread over months, regions and topics', () => {
    const random = seededRandom(7);
    const truth: CountCell[] = [];
    for (const m of ['m1', 'm2'])
      for (const r of ['a', 'b', 'c', 'd'])
        for (const t of ['x', 'y', 'z'])
          truth.push({
            key: [m, r, t],
            count: random() < 0.3 ? 1 + Math.floor(random() * 9) : 10 + Math.floor(random() * 40),
          });
    expectProtected({ dimensions: ['month', 'region', 'topic'], cells: truth });
  });

  it('a month dimension with one value changes nothing: the same cells are suppressed', () => {
    const flat = cells({
      a: { x: 50, y: 3, z: 40 },
      b: { x: 30, y: 20, z: 25 },
      c: { x: 60, y: 45, z: 35 },
    });
    const withMonth = flat.map((c) => ({ key: ['2026-01', ...c.key], count: c.count }));
    const twoD = protectTable({ dimensions: ['region', 'topic'], cells: flat });
    const threeD = expectProtected({ dimensions: ['month', 'region', 'topic'], cells: withMonth });
    expect(threeD.cells.map((c) => c.count)).toEqual(twoD.cells.map((c) => c.count));
  });

  it('zeros given explicitly are released as zeros and change nothing else', () => {
    const base = cells({ a: { x: 50, y: 3, z: 40 }, b: { x: 30, y: 20, z: 25 } });
    const withZeros = [...base, { key: ['c', 'x'], count: 0 }, { key: ['a', 'w'], count: 0 }];
    const release = expectProtected({ dimensions: ['region', 'topic'], cells: withZeros });
    expect(released(release, 'c', 'x')).toBe(0);
    const plain = protectTable({ dimensions: ['region', 'topic'], cells: base });
    expect(released(release, 'a', 'y')).toBe(
      plain.cells.find((c) => c.key.join() === 'a,y')!.count,
    );
  });
});

describe('complementary suppression on random skewed tables', () => {
  const shapes: { name: string; size: number; skew: number }[][] = [
    [{ name: 'region', size: 12, skew: 1.2 }],
    [
      { name: 'region', size: 9, skew: 1.1 },
      { name: 'topic', size: 6, skew: 0.8 },
    ],
    [
      { name: 'region', size: 14, skew: 1.3 },
      { name: 'topic', size: 4, skew: 0.5 },
    ],
    [
      { name: 'month', size: 3, skew: 0.2 },
      { name: 'region', size: 5, skew: 1.1 },
      { name: 'topic', size: 4, skew: 0.8 },
    ],
    [
      { name: 'month', size: 1, skew: 0 },
      { name: 'region', size: 8, skew: 1.1 },
      { name: 'topic', size: 5, skew: 0.8 },
    ],
    [
      { name: 'a', size: 3, skew: 0.5 },
      { name: 'b', size: 3, skew: 1 },
      { name: 'c', size: 2, skew: 0.3 },
      { name: 'd', size: 3, skew: 1.5 },
    ],
  ];

  it.each(
    shapes.map((dimensions, i) => [dimensions.map((d) => `${d.name}×${d.size}`).join(' '), i]),
  )(
    'no suppressed cell or total of a %s table can be computed (40 seeds, k from 5 to 15)',
    (_, shape) => {
      for (let seed = 1; seed <= 40; seed++) {
        const total = [40, 150, 400, 900][seed % 4];
        const k = [10, 5, 10, 15, 10][seed % 5];
        expectProtected(
          skewedCountTable({ seed: seed * 31 + shape, dimensions: shapes[shape], total, k }),
        );
      }
    },
  );

  it('no suppressed value of a realistic region × topic month (85 × 18) can be computed', () => {
    expectProtected(
      skewedCountTable({
        seed: 2026,
        dimensions: [
          { name: 'region', size: 85, skew: 1.1 },
          { name: 'topic', size: 18, skew: 0.8 },
        ],
        total: 6000,
      }),
    );
  });
});

describe('why the conservative attacker is not handed totals over single-valued dimensions', () => {
  it('no release could protect a one-row table from an attacker handed its cells as "coarser totals"', () => {
    const truth: CountTable = {
      dimensions: ['region', 'topic'],
      cells: cells({ a: { x: 50, y: 3, z: 40 } }),
    };
    // Summing the single region away gives each topic's total, i.e. the cells themselves: an
    // attacker told every such total ≥ k computes the small cell even if everything is hidden.
    const literal = attack(truth, protectTable(truth), 'literal', true);
    expect(literal.get('cell ["a","y"]')).toEqual({ n: 3n, d: 1n });
    // The attacker this module guarantees against gets nothing from the same release.
    expectProtected(truth);
  });
});
