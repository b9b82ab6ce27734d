import { compareKeys, validateCountTable } from './count-table';
import { CountTable } from './disclosure.types';
import { DisclosureBudgetExceeded, PlanningOptions } from './suppression-planner';

/**
 * Linked-tables protection for a set of dimensions whose breakdowns are all released from one
 * table: the cover (issue 14, point 4; docs/security/statistics-differencing.md).
 *
 * `protectTable` protects each breakdown alone, against an attacker who knows every marginal
 * total of k or more, since some other answer might publish it. On a fine breakdown that
 * attacker wins outright: channel × outcome's small cell is its row total less the others,
 * all of k or more, so the four-way table by channel × outcome × age band × gender identity
 * could never be released. Here every breakdown over two or more of the cover's dimensions is
 * a level of the cover table and is released from it, so the attacker knows exactly what the
 * cover releases at every level, plus what answers outside the cover can publish: the
 * one-dimensional totals and the grand total, whenever they are k or more. Those are never
 * suppressed here; everything else may be.
 *
 * The plan is τ-ARGUS's hypercube method (GHMITER) over the table with all its margins: each
 * count from 1 to k − 1, at any level, is made a corner of a 2ⁿ hypercube of suppressed
 * values — in every dimension two positions, two categories or a category and the total —
 * chosen as the cheapest such hypercube by the contacts and rows it newly hides. Adding ±1 at
 * the corners, signed so that every line still adds up, changes no released value, no public
 * zero and no known total; and in one of the two directions no corner goes below 0. That
 * perturbation is the witness: every suppressed value can take two different values
 * consistent with everything the attacker knows (linear equations, zeros, whole non-negative
 * counts), so none is recovered.
 *
 * A suppressed value may be 0. A sparse month (a quiet month is mostly 0s and 1s) could not
 * be protected if the attacker knew every hidden value to be at least 1: a lone 1 with zeros
 * around it has no hypercube whose other corners can all go down. So a zero that a hypercube
 * needs is hidden like any other value, and a suppressed row says only "some count, maybe 0".
 * Zeros not in any hypercube stay public (absent rows). Checked against HiGHS in
 * test/statistics/four-way-attack.spec.ts.
 */
/**
 * Hypercubes looked at once one fits. Partners come cheapest first, so the first fit is
 * usually close to the best; this bounds planning at about 20 ms a month on two cores.
 */
const SEARCH_AFTER_FIRST = 128;

export interface CoverRow {
  readonly key: readonly string[];
  readonly count: number | null;
}

export interface ProtectedCover {
  readonly dimensions: readonly string[];
  readonly k: number;
  /**
   * True when some count below k has no hypercube that can hide it (a month whose grand total
   * is below k, say): nothing is released.
   */
  readonly withheld: boolean;
  /**
   * The rows of one level, keys in `dimensions` order: every non-zero value and every
   * suppressed one (which may be 0); the count null where suppressed. Shared: do not modify.
   */
  level(dimensions: readonly string[]): ReadonlyArray<CoverRow>;
}

export function protectCover(input: CountTable, options: PlanningOptions = {}): ProtectedCover {
  const table = validateCountTable(input);
  const plan = new CoverPlan(table.dimensions, table.k, table.cells, options.deadline ?? Infinity);
  if (!plan.run()) return withheldCover(table);
  const levels = new Map<string, ReadonlyArray<CoverRow>>();
  return {
    dimensions: [...table.dimensions],
    k: table.k,
    withheld: false,
    // Each level is cut once: a remembered plan answers every later question from memory.
    level: (dimensions) => {
      const id = dimensions.join('\u0000');
      let rows = levels.get(id);
      if (!rows) levels.set(id, (rows = plan.level(dimensions)));
      return rows;
    },
  };
}

/**
 * The cover withheld whole, with no plan: every non-zero value at every level suppressed,
 * which releases nothing but the public zeros. What protectCover gives when no hypercube can
 * hide some count, and what a caller releases when planning ran past its deadline.
 */
export function withheldCover(input: CountTable): ProtectedCover {
  const table = validateCountTable(input);
  const nonZero = table.cells.filter((cell) => cell.count > 0);
  return {
    dimensions: [...table.dimensions],
    k: table.k,
    withheld: true,
    level: (wanted) => {
      const at = wanted.map((name) => dimensionIndex(table.dimensions, name));
      const keys = new Map<string, string[]>();
      for (const cell of nonZero) {
        const key = at.map((d) => cell.key[d]);
        keys.set(key.join('\u0000'), key);
      }
      return [...keys.values()].sort(compareKeys).map((key) => ({ key, count: null }));
    },
  };
}

function dimensionIndex(dimensions: readonly string[], name: string): number {
  const d = dimensions.indexOf(name);
  if (d < 0) throw new Error(`${name} is not a dimension of this cover`);
  return d;
}

class CoverPlan {
  /** Informative dimensions (more than one value among the non-zero cells), as indices. */
  private readonly kept: number[] = [];
  /** Per original dimension, its values present in non-zero cells, sorted. */
  private readonly values: string[][];
  /** Per kept dimension: its number of categories; position `size` is its total. */
  private readonly sizes: number[] = [];
  private readonly strides: number[] = [];
  private readonly counts: Float64Array;
  /** Per position, how many kept dimensions it fixes to a category. */
  private readonly levels: Uint8Array;
  private readonly suppressed: Uint8Array;
  /** Positions that are a corner of a chosen hypercube: hidden, with a witness. */
  private readonly witnessed: Uint8Array;
  /**
   * Known to the attacker whatever the cover does, so never a corner: the grand total and the
   * one-dimensional totals of k or more (answers outside the cover publish them), and the
   * one-dimensional zeros.
   */
  private readonly forbidden: Uint8Array;

  constructor(
    private readonly dimensions: readonly string[],
    private readonly k: number,
    cells: ReadonlyArray<{ readonly key: readonly string[]; readonly count: number }>,
    private readonly deadline: number,
  ) {
    const nonZero = cells.filter((cell) => cell.count > 0);
    this.values = dimensions.map((_, d) => [...new Set(nonZero.map((c) => c.key[d]))].sort());
    dimensions.forEach((_, d) => {
      if (this.values[d].length > 1) this.kept.push(d);
    });
    let positions = 1;
    for (const d of this.kept) {
      this.strides.push(positions);
      this.sizes.push(this.values[d].length);
      positions *= this.values[d].length + 1;
    }
    this.counts = new Float64Array(positions);
    this.levels = new Uint8Array(positions);
    this.suppressed = new Uint8Array(positions);
    this.witnessed = new Uint8Array(positions);
    this.forbidden = new Uint8Array(positions);
    const n = this.kept.length;
    for (let position = 0; position < positions; position++) {
      let level = 0;
      for (let i = 0; i < n; i++) if (this.coordinate(position, i) !== this.sizes[i]) level++;
      this.levels[position] = level;
    }
    const indexOf = this.kept.map((d) => new Map(this.values[d].map((v, i) => [v, i])));
    for (const cell of nonZero) {
      const coordinates = this.kept.map((d, i) => indexOf[i].get(cell.key[d])!);
      // The cell and every margin it adds to: each subset of its coordinates set to total.
      for (let mask = 0; mask < 1 << n; mask++) {
        let position = 0;
        for (let i = 0; i < n; i++)
          position += ((mask >> i) & 1 ? this.sizes[i] : coordinates[i]) * this.strides[i];
        this.counts[position] += cell.count;
      }
    }
    const alone = this.loneSmallTotals();
    for (let position = 0; position < positions; position++) {
      const level = this.levels[position];
      const count = this.counts[position];
      const dimension = level === 1 ? this.fixedDimension(position) : -1;
      if (level === 0 || (level === 1 && (count === 0 || (count >= k && !alone[dimension]))))
        this.forbidden[position] = 1;
    }
  }

  private coordinate(position: number, i: number): number {
    return Math.floor(position / this.strides[i]) % (this.sizes[i] + 1);
  }

  /** False when the cover cannot be protected and must be withheld. */
  run(): boolean {
    const { counts, levels, k } = this;
    const primaries: number[] = [];
    for (let position = 0; position < counts.length; position++)
      if (counts[position] > 0 && counts[position] < k) {
        // A grand total below k has no hypercube: every one has the grand total as a corner.
        if (levels[position] === 0) return false;
        primaries.push(position);
        this.suppressed[position] = 1;
      }
    // The most constrained first (coarse levels, small counts), so that the cells' hypercubes
    // can reuse what the margins' ones hid.
    primaries.sort((a, b) => levels[a] - levels[b] || counts[a] - counts[b] || a - b);
    let checked = 0;
    for (const primary of primaries) {
      if (this.witnessed[primary]) continue;
      if ((++checked & 15) === 0 && performance.now() > this.deadline)
        throw new DisclosureBudgetExceeded();
      const corners = this.cheapestHypercube(primary);
      if (!corners) return false;
      for (const corner of corners) {
        this.suppressed[corner] = 1;
        this.witnessed[corner] = 1;
      }
    }
    return true;
  }

  /**
   * Per kept dimension, whether exactly one of its totals is from 1 to k − 1. That one is the
   * grand total less the others, so every answer outside the cover that involves the dimension
   * (its own breakdown, region × it, a filter on it) is withheld whole (coarser-exposure.ts):
   * no one publishes the dimension's totals, and the cover, their only source, treats them as
   * hidden values like any other instead of known ones, and protects the small one with them.
   */
  private loneSmallTotals(): boolean[] {
    const { counts, k } = this;
    const grand = counts.length - 1;
    return this.sizes.map((size, i) => {
      let small = 0;
      for (let category = 0; category < size; category++) {
        const count = counts[grand - (size - category) * this.strides[i]];
        if (count > 0 && count < k) small++;
      }
      return small === 1;
    });
  }

  /** The kept dimension a one-dimensional total fixes. */
  private fixedDimension(position: number): number {
    return this.sizes.findIndex((size, i) => this.coordinate(position, i) !== size);
  }

  /**
   * The hypercube through `primary` with no known corner, whose ±1 perturbation keeps every
   * value at least 0 in one direction, and that newly hides the fewest contacts and rows (ties:
   * the first found). Its corners, or undefined.
   */
  private cheapestHypercube(primary: number): number[] | undefined {
    const n = this.kept.length;
    const { counts, suppressed, forbidden } = this;
    // Per dimension, the other positions: what moving to one adds to a position id, and the
    // sign of its corners. Cheapest single moves first, so that a cheap hypercube is found
    // early and prunes the rest.
    const deltas: Int32Array[] = [];
    const signs: Int8Array[] = [];
    for (let i = 0; i < n; i++) {
      const own = this.coordinate(primary, i);
      const total = this.sizes[i];
      const options: Array<{ delta: number; sign: number; cost: number }> = [];
      for (let other = 0; other <= total; other++) {
        if (other === own) continue;
        const delta = (other - own) * this.strides[i];
        const neighbour = primary + delta;
        if (forbidden[neighbour]) continue;
        const cost = suppressed[neighbour] ? 0 : counts[neighbour] + 1;
        options.push({ delta, sign: own !== total && other !== total ? -1 : 1, cost });
      }
      if (options.length === 0) return undefined;
      options.sort((a, b) => a.cost - b.cost || a.delta - b.delta);
      deltas.push(Int32Array.from(options, (o) => o.delta));
      signs.push(Int8Array.from(options, (o) => o.sign));
    }
    const cornerCount = 1 << n;
    const corners = new Int32Array(cornerCount);
    const cornerSigns = new Int8Array(cornerCount);
    const highBit = new Uint8Array(cornerCount);
    for (let mask = 1; mask < cornerCount; mask++) highBit[mask] = 31 - Math.clz32(mask);
    const choice = new Int32Array(n);
    let best: Int32Array | undefined;
    let bestCost = Infinity;
    let searched = 0;
    corners[0] = primary;
    cornerSigns[0] = 1;
    for (;;) {
      let cost = 0;
      // Whether the perturbation can go up (every negative corner ≥ 1) or down (every positive).
      let up = true;
      let down = true;
      let usable = true;
      for (let mask = 1; mask < cornerCount; mask++) {
        const i = highBit[mask];
        const rest = mask ^ (1 << i);
        const corner = corners[rest] + deltas[i][choice[i]];
        if (forbidden[corner]) {
          usable = false;
          break;
        }
        corners[mask] = corner;
        const sign = cornerSigns[rest] * signs[i][choice[i]];
        cornerSigns[mask] = sign;
        const count = counts[corner];
        if (count === 0) {
          if (sign < 0) up = false;
          else down = false;
          if (!up && !down) {
            usable = false;
            break;
          }
        }
        if (!suppressed[corner]) {
          cost += count + 1;
          if (cost >= bestCost) {
            usable = false;
            break;
          }
        }
      }
      if (usable && (up || down)) {
        best = corners.slice();
        bestCost = cost;
        if (cost === 0) break;
      }
      if (best && ++searched > SEARCH_AFTER_FIRST) break;
      let i = 0;
      while (i < n && ++choice[i] === deltas[i].length) choice[i++] = 0;
      if (i === n) break;
    }
    return best && Array.from(best);
  }

  level(wanted: readonly string[]): CoverRow[] {
    const at = wanted.map((name) => dimensionIndex(this.dimensions, name));
    const fixed = this.kept.map((d) => at.includes(d));
    const fixedCount = fixed.filter(Boolean).length;
    const result: CoverRow[] = [];
    if (at.some((d) => this.values[d].length === 0)) return result;
    for (let position = 0; position < this.counts.length; position++) {
      if (this.levels[position] !== fixedCount) continue;
      const count = this.counts[position];
      const hidden = this.suppressed[position] === 1;
      if (count === 0 && !hidden) continue;
      const coordinates = this.kept.map((_, i) => this.coordinate(position, i));
      if (!coordinates.every((c, i) => (c !== this.sizes[i]) === fixed[i])) continue;
      const key = at.map((d) => {
        const i = this.kept.indexOf(d);
        return i < 0 ? this.values[d][0] : this.values[d][coordinates[i]];
      });
      result.push({ key, count: hidden ? null : count });
    }
    return result.sort((a, b) => compareKeys(a.key, b.key));
  }
}
