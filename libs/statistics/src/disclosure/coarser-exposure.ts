import { indexTable, MarginalTotal, validateCountTable } from './count-table';
import { CountTable } from './disclosure.types';

/**
 * Whether a table holds a count from 1 to k − 1 that coarser releases alone give away, so
 * that no choice of suppressions in this table can protect it and `protectTable` would report
 * it in `exposedToCoarserReleases` whatever it planned. Cheap (one pass over the marginal
 * totals), so a caller that withholds such tables need not spend seconds planning one first.
 *
 * The rule it finds is the common one on fine, sparse breakdowns: a line of marginal totals
 * (one dimension varied, the others fixed; every entry and the line's own total a marginal
 * total, none of them a cell) whose total is k or more and whose entries are all k or more or
 * zero but one, between 1 and k − 1. The conservative attacker of `protectTable` knows every
 * total ≥ k (a coarser breakdown may publish it) and every zero (zeros are public), so that
 * entry is the line's total less the others. Like `protectTable`, it reads only the dimensions
 * that take more than one value among the non-zero cells: over the others a "total" is a cell.
 *
 * False does not mean the table can be protected: `protectTable` decides that. True means it
 * cannot, against that attacker.
 */
export function exposedToCoarserReleases(input: CountTable): boolean {
  const validated = validateCountTable(input);
  const nonZero = validated.cells.filter((cell) => cell.count > 0);
  const informative = validated.dimensions
    .map((_, d) => d)
    .filter((d) => new Set(nonZero.map((cell) => cell.key[d])).size > 1);
  // With one informative dimension, every total is the grand total or a cell.
  if (informative.length < 2) return false;
  const table = indexTable({
    dimensions: informative.map((d) => validated.dimensions[d]),
    k: validated.k,
    cells: mergeByKey(
      nonZero.map((cell) => ({ key: informative.map((d) => cell.key[d]), count: cell.count })),
    ),
  });
  const { k, totals, subsets } = table;
  const full = (1 << table.dimensions.length) - 1;
  // Each total by its place: its value index on every dimension, −1 where it sums over one.
  const placeOf = (subset: number, coordinates: readonly number[]): number[] => {
    let next = 0;
    return table.dimensions.map((_, d) => ((subsets[subset] >> d) & 1 ? coordinates[next++] : -1));
  };
  const totalAt = new Map(
    totals.map((total, id) => [placeOf(total.subset, total.coordinates).join(), id] as const),
  );
  // Totals come grouped by subset, in subset order.
  const bySubset = subsets.map(() => [] as MarginalTotal[]);
  for (const total of totals) bySubset[total.subset].push(total);
  for (const [subset, mask] of subsets.entries()) {
    if (mask === 0 || mask === full) continue;
    for (let d = 0; d < table.dimensions.length; d++) {
      if (!((mask >> d) & 1)) continue;
      // The lines of this marginal along d, by their own total: how many entries are small.
      const smallIn = new Map<number, number>();
      for (const total of bySubset[subset]) {
        const place = placeOf(subset, total.coordinates);
        place[d] = -1;
        const line = totalAt.get(place.join())!;
        smallIn.set(line, (smallIn.get(line) ?? 0) + (total.count < k ? 1 : 0));
      }
      for (const [line, small] of smallIn) if (small === 1 && totals[line].count >= k) return true;
    }
  }
  return false;
}

function mergeByKey(
  cells: ReadonlyArray<{ key: string[]; count: number }>,
): Array<{ key: string[]; count: number }> {
  const merged = new Map<string, { key: string[]; count: number }>();
  for (const cell of cells) {
    const id = JSON.stringify(cell.key);
    const seen = merged.get(id);
    if (seen) seen.count += cell.count;
    else merged.set(id, { ...cell });
  }
  return [...merged.values()];
}
