/**
 * Which unknowns of a linear system are pinned down by it, computed exactly and incrementally.
 *
 * The system: one equation per marginal total, "the unknown cells it sums, minus the total
 * itself if that is unknown, equal something public". An attacker can compute an unknown
 * exactly iff its unit vector lies in the row space of the coefficient matrix A. We keep a
 * reduced row echelon form R = M·A, where M is the record of the row operations, and add one
 * unknown (one column of A) at a time: its column in R is M·a. If that has a non-zero entry in
 * a row without a pivot, the new unknown becomes that row's pivot; otherwise it is a free
 * column, and every pivot row where it is non-zero now has a free entry. A pivot unknown is
 * determined exactly when its row has no non-zero entry in any free column. Only M and, per
 * row, the number of free entries are kept: eliminating a new pivot only rescales the old
 * entries of other rows, so their zero pattern — all that decides "determined" — never needs
 * the entries themselves.
 *
 * Exactness: the arithmetic is on integers (rows are scaled instead of divided, then reduced by
 * their gcd), first in doubles with every result checked to stay within 2^53, so that each one
 * is exact. Should any exceed that, the whole space is replayed in BigInt. A prime modulus would
 * be faster to write but can err both ways when the prime divides a minor, and tables of three
 * or more dimensions are not totally unimodular; for two dimensions the entries stay 0 and ±1
 * and the doubles path is all that ever runs.
 */

/**
 * A column of A: the equations (by total id) an unknown appears in, all with the same
 * coefficient (+1 for a cell in the totals that sum it, −1 for a total in its own equation).
 */
export interface SparseColumn {
  readonly rows: readonly number[];
  readonly sign: 1 | -1;
}

export class ExactRowSpace {
  private echelon: Echelon;
  private readonly history: { unknown: number; column: SparseColumn }[] = [];

  /** `numberLimit` only exists so that tests can force the BigInt path. */
  constructor(numberLimit = Number.MAX_SAFE_INTEGER) {
    this.echelon = new IncrementalEchelon(numberArithmetic(numberLimit));
  }

  /** Makes `unknown` (an id of the caller's choosing) an unknown with the given column. */
  add(unknown: number, column: SparseColumn): void {
    this.exactly(() => this.echelon.add(unknown, column));
    this.history.push({ unknown, column });
  }

  /** The unknowns the system determines, by increasing id. */
  determined(): number[] {
    return this.echelon.determined();
  }

  /**
   * Whether adding an unknown with this column would stop `target` from being determined: true
   * iff the column would be free and non-zero in the target's pivot row.
   */
  wouldHide(target: number, column: SparseColumn): boolean {
    return this.exactly(() => this.echelon.wouldHide(target, column));
  }

  /** An independent copy: cheaper than adding the same unknowns again. */
  clone(): ExactRowSpace {
    const copy = new ExactRowSpace();
    copy.echelon = this.echelon.clone();
    copy.history.push(...this.history);
    return copy;
  }

  /** Whether the doubles overflowed and the space now runs on BigInt. */
  get usesBigInt(): boolean {
    return this.echelon.usesBigInt;
  }

  private exactly<R>(operation: () => R): R {
    try {
      return operation();
    } catch (error) {
      if (!(error instanceof PrecisionExceeded)) throw error;
      this.echelon = new IncrementalEchelon(bigintArithmetic);
      for (const { unknown, column } of this.history) this.echelon.add(unknown, column);
      return operation();
    }
  }
}

interface Echelon {
  readonly usesBigInt: boolean;
  add(unknown: number, column: SparseColumn): void;
  determined(): number[];
  wouldHide(target: number, column: SparseColumn): boolean;
  clone(): Echelon;
}

class IncrementalEchelon<T> implements Echelon {
  /** Equation (total id) → local row index; rows appear when an unknown first touches them. */
  private localRow = new Map<number, number>();
  /** M, row by row, sparse: local column → entry. */
  private m: Map<number, T>[] = [];
  /** For each local column of M, the rows where it is non-zero (to compute M·a quickly). */
  private columnRows: Set<number>[] = [];
  private pivotOfRow: number[] = [];
  private freeEntries: number[] = [];
  private rowOfPivot = new Map<number, number>();
  /** Work space for M·a: one entry per row, always zero between calls. */
  private scratch: T[] = [];
  private stamp: number[] = [];
  private stampCounter = 0;
  private readonly touched: number[] = [];

  constructor(private readonly arithmetic: Arithmetic<T>) {}

  clone(): IncrementalEchelon<T> {
    const copy = new IncrementalEchelon(this.arithmetic);
    copy.localRow = new Map(this.localRow);
    copy.m = this.m.map((row) => new Map(row));
    copy.columnRows = this.columnRows.map((rows) => new Set(rows));
    copy.pivotOfRow = [...this.pivotOfRow];
    copy.freeEntries = [...this.freeEntries];
    copy.rowOfPivot = new Map(this.rowOfPivot);
    copy.scratch = [...this.scratch];
    copy.stamp = this.stamp.map(() => 0);
    return copy;
  }

  get usesBigInt(): boolean {
    return this.arithmetic.isBigInt;
  }

  add(unknown: number, column: SparseColumn): void {
    const image = this.transform(column, true)!;
    const pivotAt = this.firstWithoutPivot(image.rows);
    if (pivotAt < 0) {
      for (const row of image.rows) this.freeEntries[row]++;
      return;
    }
    const pivotRow = image.rows[pivotAt];
    this.pivotOfRow[pivotRow] = unknown;
    this.rowOfPivot.set(unknown, pivotRow);
    image.rows.forEach((row, i) => {
      if (i !== pivotAt) this.eliminate(row, pivotRow, image.values[pivotAt], image.values[i]);
    });
  }

  determined(): number[] {
    const found: number[] = [];
    for (const [unknown, row] of this.rowOfPivot)
      if (this.freeEntries[row] === 0) found.push(unknown);
    return found.sort((a, b) => a - b);
  }

  wouldHide(target: number, column: SparseColumn): boolean {
    const targetRow = this.rowOfPivot.get(target);
    if (targetRow === undefined) return false;
    // First the one entry of M·a that matters, (M·a)[target's row]: it is zero for most
    // candidates, and the full product costs as many entries as M has rows.
    if (!this.touchesRow(targetRow, column)) return false;
    // A row nobody touched yet has no pivot: the column would become a pivot there.
    const image = this.transform(column, false);
    if (!image || this.firstWithoutPivot(image.rows) >= 0) return false;
    return image.rows.includes(targetRow);
  }

  /** Whether (M·a)[row] ≠ 0; false too when a touches a row not yet made (see wouldHide). */
  private touchesRow(row: number, column: SparseColumn): boolean {
    const { add, isZero, zero } = this.arithmetic;
    const entries = this.m[row];
    let sum = zero;
    for (const total of column.rows) {
      const local = this.localRow.get(total);
      if (local === undefined) return false;
      const entry = entries.get(local);
      if (entry !== undefined) sum = add(sum, entry);
    }
    return !isZero(sum);
  }

  /**
   * M·a, as its non-zero entries (by local row); undefined if a touches a row not yet made and
   * `createRows` is false. Sums in a scratch array, which is zero again on return.
   */
  private transform(
    column: SparseColumn,
    createRows: boolean,
  ): { rows: number[]; values: T[] } | undefined {
    const { add, sub, isZero, zero } = this.arithmetic;
    if (!createRows && column.rows.some((total) => !this.localRow.has(total))) return undefined;
    const touched = this.touched;
    touched.length = 0;
    const stamp = ++this.stampCounter;
    for (const total of column.rows) {
      const local = this.localRow.get(total) ?? this.newRow(total);
      for (const row of this.columnRows[local]) {
        if (this.stamp[row] !== stamp) {
          this.stamp[row] = stamp;
          touched.push(row);
        }
        const entry = this.m[row].get(local)!;
        const sum = this.scratch[row];
        this.scratch[row] = column.sign < 0 ? sub(sum, entry) : add(sum, entry);
      }
    }
    const rows: number[] = [];
    const values: T[] = [];
    for (const row of touched) {
      if (!isZero(this.scratch[row])) {
        rows.push(row);
        values.push(this.scratch[row]);
      }
      this.scratch[row] = zero;
    }
    return { rows, values };
  }

  private newRow(total: number): number {
    const local = this.m.length;
    this.localRow.set(total, local);
    this.m.push(new Map([[local, this.arithmetic.one]]));
    this.columnRows.push(new Set([local]));
    this.pivotOfRow.push(-1);
    this.freeEntries.push(0);
    this.scratch.push(this.arithmetic.zero);
    this.stamp.push(0);
    return local;
  }

  /** The position in `rows` of the lowest row without a pivot, or −1. */
  private firstWithoutPivot(rows: readonly number[]): number {
    let first = -1;
    rows.forEach((row, i) => {
      if (this.pivotOfRow[row] < 0 && (first < 0 || row < rows[first])) first = i;
    });
    return first;
  }

  /** row ← α·row − β·pivotRow, with α/β = pivot/entry in lowest terms, so the entry cancels. */
  private eliminate(row: number, pivotRow: number, pivot: T, entry: T): void {
    const { quotient, gcd, mul, sub, zero, isZero, one } = this.arithmetic;
    let alpha = one;
    let beta = quotient(entry, pivot);
    if (beta === undefined) {
      const divisor = gcd(pivot, entry);
      alpha = quotient(pivot, divisor)!;
      beta = quotient(entry, divisor)!;
    }
    const target = this.m[row];
    if (alpha !== one) for (const [column, value] of target) target.set(column, mul(alpha, value));
    for (const [column, value] of this.m[pivotRow]) {
      const next = sub(target.get(column) ?? zero, mul(beta, value));
      if (isZero(next)) {
        target.delete(column);
        this.columnRows[column].delete(row);
      } else {
        if (!target.has(column)) this.columnRows[column].add(row);
        target.set(column, next);
      }
    }
    this.reduceByContent(target);
  }

  /** Divides a row by the gcd of its entries, which keeps the integers small. */
  private reduceByContent(target: Map<number, T>): void {
    const { gcd, quotient, zero, one } = this.arithmetic;
    let content = zero;
    for (const value of target.values()) {
      content = gcd(content, value);
      if (content === one) return;
    }
    if (content === zero) return;
    for (const [column, value] of target) target.set(column, quotient(value, content)!);
  }
}

/** Thrown by the doubles arithmetic when a result might no longer be exact. */
class PrecisionExceeded extends Error {}

// Function-valued properties rather than methods: the echelon destructures them.
interface Arithmetic<T> {
  readonly isBigInt: boolean;
  readonly zero: T;
  readonly one: T;
  readonly isZero: (a: T) => boolean;
  readonly add: (a: T, b: T) => T;
  readonly sub: (a: T, b: T) => T;
  readonly mul: (a: T, b: T) => T;
  /** a / b if b divides a exactly, else undefined. */
  readonly quotient: (a: T, b: T) => T | undefined;
  /** The non-negative gcd; gcd(0, 0) = 0. */
  readonly gcd: (a: T, b: T) => T;
}

/**
 * Doubles are exact for integers up to 2^53 − 1, and a product or sum whose true value exceeds
 * that rounds to at least 2^53, so checking every result against the limit is enough.
 */
function numberArithmetic(limit: number): Arithmetic<number> {
  const checked = (value: number): number => {
    if (!(Math.abs(value) <= limit)) throw new PrecisionExceeded();
    return value;
  };
  return {
    isBigInt: false,
    zero: 0,
    one: 1,
    isZero: (a) => a === 0,
    add: (a, b) => checked(a + b),
    sub: (a, b) => checked(a - b),
    mul: (a, b) => checked(a * b),
    quotient: (a, b) => (a % b === 0 ? a / b + 0 : undefined),
    gcd: (a, b) => {
      let x = Math.abs(a);
      let y = Math.abs(b);
      while (y) [x, y] = [y, x % y];
      return x;
    },
  };
}

const bigintArithmetic: Arithmetic<bigint> = {
  isBigInt: true,
  zero: 0n,
  one: 1n,
  isZero: (a) => a === 0n,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  quotient: (a, b) => (a % b === 0n ? a / b : undefined),
  gcd: (a, b) => {
    let x = a < 0n ? -a : a;
    let y = b < 0n ? -b : b;
    while (y) [x, y] = [y, x % y];
    return x;
  },
};
