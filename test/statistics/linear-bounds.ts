/**
 * The linear-programming half of the differencing attacker (statistics-differencing.e2e-spec):
 * non-negative unknowns, each released value a constraint on a sum of them, and for any sum
 * the least and the greatest value every release still allows. Written here from scratch
 * (a dense two-phase simplex with Bland's rule, in floating point) and sharing no code with
 * the module it audits. Systems of a few hundred unknowns and rows solve in milliseconds.
 */
export class LinearBounds {
  private readonly rows: Array<{ terms: number[]; lo: number; hi: number }> = [];
  private tableau: { tableau: Tableau; column: number[] } | undefined;

  constructor(readonly unknowns: number) {}

  /** lo ≤ Σ x[terms] ≤ hi (hi may be Infinity; lo = hi for an equation). */
  constrain(terms: readonly number[], lo: number, hi: number): void {
    this.rows.push({ terms: [...terms], lo, hi });
    this.tableau = undefined;
  }

  /** The least and greatest value of Σ x[terms] over every non-negative solution. */
  bounds(terms: readonly number[]): { min: number; max: number } {
    this.tableau ??= this.presolve();
    const { tableau, column } = this.tableau;
    const cost = new Array<number>(tableau.columns).fill(0);
    for (const j of terms) if (column[j] >= 0) cost[column[j]] += 1;
    if (cost.every((c) => c === 0)) return { min: 0, max: 0 };
    const min = tableau.minimise(cost);
    const max = -tableau.minimise(cost.map((c) => -c));
    return { min, max };
  }

  /**
   * Unknowns in a sum released as 0 are 0: they leave the system, and so do rows left empty.
   * Rows over the same unknowns become one, with the narrowest range.
   */
  private presolve(): { tableau: Tableau; column: number[] } {
    const zero = new Set<number>();
    for (const row of this.rows) if (row.hi <= 0) for (const j of row.terms) zero.add(j);
    const merged = new Map<string, { terms: number[]; lo: number; hi: number }>();
    for (const row of this.rows) {
      const terms = row.terms.filter((j) => !zero.has(j)).sort((a, b) => a - b);
      if (terms.length === 0) {
        if (row.lo > 1e-9) throw new Error('the releases contradict each other');
        continue;
      }
      const id = terms.join(',');
      const seen = merged.get(id);
      if (seen) {
        seen.lo = Math.max(seen.lo, row.lo);
        seen.hi = Math.min(seen.hi, row.hi);
      } else merged.set(id, { terms, lo: row.lo, hi: row.hi });
    }
    const column = new Array<number>(this.unknowns).fill(-1);
    let kept = 0;
    for (let j = 0; j < this.unknowns; j++) if (!zero.has(j)) column[j] = kept++;
    const rows = [...merged.values()].map((r) => ({ ...r, terms: r.terms.map((j) => column[j]) }));
    for (const r of rows)
      if (r.lo > r.hi + 1e-9) throw new Error('the releases contradict each other');
    return { tableau: Tableau.feasible(kept, rows), column };
  }
}

const EPS = 1e-9;

class Tableau {
  private constructor(
    /** Each row: coefficients of every column, then the right-hand side. */
    private readonly a: number[][],
    private readonly basis: number[],
    readonly columns: number,
  ) {}

  /** Phase one: a basic feasible solution of the rows, with slacks for the ranges. */
  static feasible(unknowns: number, rows: Array<{ terms: number[]; lo: number; hi: number }>) {
    // Columns: the unknowns, a slack per ranged row, a slack per finite range width.
    const equations: Array<{ coefficients: Map<number, number>; rhs: number }> = [];
    let columns = unknowns;
    for (const row of rows) {
      const coefficients = new Map<number, number>();
      for (const j of row.terms) coefficients.set(j, (coefficients.get(j) ?? 0) + 1);
      if (row.lo === row.hi) {
        equations.push({ coefficients, rhs: row.lo });
        continue;
      }
      // Σ x − s = lo, s ≥ 0; and s + t = hi − lo when hi is finite.
      const s = columns++;
      coefficients.set(s, -1);
      equations.push({ coefficients, rhs: row.lo });
      if (Number.isFinite(row.hi)) {
        const t = columns++;
        equations.push({
          coefficients: new Map([
            [s, 1],
            [t, 1],
          ]),
          rhs: row.hi - row.lo,
        });
      }
    }
    const m = equations.length;
    const width = columns + m + 1;
    const a = equations.map((e, i) => {
      const line = new Array<number>(width).fill(0);
      const sign = e.rhs < 0 ? -1 : 1;
      for (const [j, c] of e.coefficients) line[j] = sign * c;
      line[columns + i] = 1;
      line[width - 1] = sign * e.rhs;
      return line;
    });
    const tableau = new Tableau(
      a,
      equations.map((_, i) => columns + i),
      columns,
    );
    const phaseOne = new Array<number>(columns + m).fill(0);
    for (let i = 0; i < m; i++) phaseOne[columns + i] = 1;
    const infeasibility = tableau.run(phaseOne, columns + m);
    if (infeasibility > 1e-6) throw new Error('the releases contradict each other');
    tableau.dropArtificials();
    return tableau;
  }

  /** Min cost·x from the current (feasible) basis; leaves the optimal basis in place. */
  minimise(cost: number[]): number {
    return this.run(cost, this.columns);
  }

  private run(cost: number[], enterable: number): number {
    const a = this.a;
    const rhs = a[0]?.length - 1;
    for (let guard = 0; guard < 100_000; guard++) {
      const basic = new Set(this.basis);
      // Reduced costs: c_j − c_B · column j.
      let entering = -1;
      for (let j = 0; j < enterable && entering < 0; j++) {
        if (basic.has(j)) continue;
        let reduced = cost[j];
        for (let i = 0; i < a.length; i++) reduced -= cost[this.basis[i]] * a[i][j];
        if (reduced < -EPS) entering = j;
      }
      if (entering < 0) {
        let value = 0;
        for (let i = 0; i < a.length; i++) value += cost[this.basis[i]] * a[i][rhs];
        return value;
      }
      let leaving = -1;
      let best = Infinity;
      for (let i = 0; i < a.length; i++) {
        if (a[i][entering] <= EPS) continue;
        const ratio = a[i][rhs] / a[i][entering];
        if (
          ratio < best - EPS ||
          (Math.abs(ratio - best) <= EPS && this.basis[i] < this.basis[leaving])
        ) {
          best = ratio;
          leaving = i;
        }
      }
      if (leaving < 0) return -Infinity;
      this.pivot(leaving, entering);
    }
    throw new Error('simplex did not finish');
  }

  private pivot(row: number, column: number): void {
    const a = this.a;
    const p = a[row][column];
    const pivotRow = a[row];
    for (let j = 0; j < pivotRow.length; j++) pivotRow[j] /= p;
    for (let i = 0; i < a.length; i++) {
      if (i === row) continue;
      const f = a[i][column];
      if (Math.abs(f) <= EPS) continue;
      const line = a[i];
      for (let j = 0; j < line.length; j++) line[j] -= f * pivotRow[j];
    }
    this.basis[row] = column;
  }

  /** Artificials at zero leave the basis, or their row was redundant and goes. */
  private dropArtificials(): void {
    for (let i = this.a.length - 1; i >= 0; i--) {
      if (this.basis[i] < this.columns) continue;
      const column = this.a[i].findIndex((v, j) => j < this.columns && Math.abs(v) > 1e-7);
      if (column >= 0) this.pivot(i, column);
      else {
        this.a.splice(i, 1);
        this.basis.splice(i, 1);
      }
    }
    const rhs = this.a[0]?.length - 1;
    for (let i = 0; i < this.a.length; i++) {
      const line = this.a[i];
      this.a[i] = [...line.slice(0, this.columns), line[rhs]];
    }
  }
}
