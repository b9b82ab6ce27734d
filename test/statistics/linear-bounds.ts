import loadHighs, { Highs } from 'highs';

let solver: Promise<Highs> | undefined;

/**
 * The integer-programming half of the differencing attacker (statistics-differencing.e2e-spec):
 * whole, non-negative unknowns (counts of contacts), each released value a constraint on a sum
 * of them, and for any sum the least and the greatest value every release still allows. Solved
 * by HiGHS (the University of Edinburgh's solver, compiled to WebAssembly), a maintained and
 * audited solver sharing no code with the module it audits. Integer unknowns make a stronger
 * attacker than the linear relaxation: a range the relaxation leaves open may hold one whole
 * number only.
 */
export class LinearBounds {
  private readonly rows: Array<{ terms: number[]; lo: number; hi: number }> = [];
  private model:
    | { text: (objective: string, sense: 'Minimize' | 'Maximize') => string; kept: Set<number> }
    | undefined;

  constructor(readonly unknowns: number) {}

  /** lo ≤ Σ x[terms] ≤ hi (hi may be Infinity; lo = hi for an equation). */
  constrain(terms: readonly number[], lo: number, hi: number): void {
    this.rows.push({ terms: [...terms], lo, hi });
    this.model = undefined;
  }

  /** The least and greatest value of Σ x[terms] over every non-negative integer solution. */
  async bounds(terms: readonly number[]): Promise<{ min: number; max: number }> {
    this.model ??= this.presolve();
    const { text, kept } = this.model;
    const objective = lines(terms.filter((j) => kept.has(j)).map((j) => `x${j}`));
    if (objective === '') return { min: 0, max: 0 };
    const highs = await (solver ??= loadHighs());
    const solve = (sense: 'Minimize' | 'Maximize') => {
      let result: ReturnType<Highs['solve']>;
      try {
        result = highs.solve(text(objective, sense), { output_flag: false });
      } catch (error) {
        // An aborted WebAssembly instance does not solve again: the next call loads a new one.
        solver = undefined;
        throw error;
      }
      if (result.Status === 'Optimal') return result.ObjectiveValue;
      // Minimised first: the system is feasible, so a maximum presolve cannot tell from
      // infeasible is unbounded.
      if (
        sense === 'Maximize' &&
        (result.Status === 'Unbounded' || result.Status === 'Primal infeasible or unbounded')
      )
        return Infinity;
      if (result.Status === 'Infeasible') throw new Error('the releases contradict each other');
      throw new Error(`the solver stopped: ${result.Status}`);
    };
    return { min: solve('Minimize'), max: solve('Maximize') };
  }

  /**
   * Unknowns in a sum released as 0 are 0 and leave the system; rows over the same unknowns
   * become one, with the narrowest range. The rest is written once as CPLEX LP text.
   */
  private presolve() {
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
    const kept = new Set<number>();
    for (let j = 0; j < this.unknowns; j++) if (!zero.has(j)) kept.add(j);
    const constraints: string[] = [];
    let n = 0;
    for (const { terms, lo, hi } of merged.values()) {
      if (lo > hi + 1e-9) throw new Error('the releases contradict each other');
      const sum = lines(terms.map((j) => `x${j}`));
      if (lo === hi) constraints.push(` r${n++}: ${sum} = ${lo}`);
      else {
        if (lo > 0) constraints.push(` r${n++}: ${sum} >= ${lo}`);
        if (Number.isFinite(hi)) constraints.push(` r${n++}: ${sum} <= ${hi}`);
      }
    }
    const names = [...kept].map((j) => `x${j}`);
    // A system with no constraint left still needs a row: every unknown is at least 0.
    if (constraints.length === 0) constraints.push(` r0: ${lines(names)} >= 0`);
    const body = `Subject To\n${constraints.join('\n')}\nGenerals\n ${lines(names, ' ')}\nEnd\n`;
    return {
      kept,
      text: (objective: string, sense: 'Minimize' | 'Maximize') =>
        `${sense}\n obj: ${objective}\n${body}`,
    };
  }
}

/** Names joined by ' + ' (a sum) or ' ' (a list), a few to a line: LP text keeps lines short. */
function lines(names: readonly string[], separator: ' + ' | ' ' = ' + '): string {
  const chunks: string[] = [];
  for (let i = 0; i < names.length; i += 12) chunks.push(names.slice(i, i + 12).join(separator));
  return chunks.join(`\n${separator === ' + ' ? ' + ' : ' '}`);
}
