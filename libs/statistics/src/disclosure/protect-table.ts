import { IndexedTable, indexTable, subsetDimensions, validateCountTable } from './count-table';
import { CountTable, ProtectedTable, ValueReference } from './disclosure.types';
import { planSuppression, PlanningOptions } from './suppression-planner';

/**
 * Statistical disclosure control for one breakdown of one period: returns every cell and
 * every marginal total, each either exact or suppressed (null), such that no count from 1 to
 * k − 1 is released and no suppressed value can be computed exactly, by linear algebra, from
 * the released ones, the public zeros and — as far as cells can protect it — every total ≥ k
 * (see `ProtectedTable.exposedToCoarserReleases` for the rare exceptions). Pure and
 * deterministic: the same table always gives the same result, so repeating a query reveals
 * nothing new.
 *
 * @throws StatisticsException for k below 5 or a malformed table.
 * @throws DisclosureBudgetExceeded when `options.deadline` passes before the plan is made.
 */
export function protectTable(input: CountTable, options: PlanningOptions = {}): ProtectedTable {
  const published = indexTable(validateCountTable(input));
  const { table: informative, dimensions: kept } = informativeTable(published);
  const plan = planSuppression(informative, options);
  const unknownOf = informativeUnknowns(published, informative, kept);
  const informativeCells = informative.cellCounts.length;
  const hidden = (unknown: number) =>
    unknown < informativeCells
      ? plan.cellSuppressed[unknown]
      : plan.totalSuppressed[unknown - informativeCells];
  const exposed = new Set(plan.exposedToCoarserReleases);
  const cells = published.cellCounts.map((count, cell) => ({
    reference: cellReference(published, cell),
    count,
    unknown: count > 0 ? unknownOf.cell(cell) : -1,
  }));
  const totals = published.totals.map((total, id) => ({
    reference: totalReference(published, id),
    count: total.count,
    unknown: total.count > 0 ? unknownOf.total(id) : -1,
  }));
  const release = (value: { reference: ValueReference; count: number; unknown: number }) => ({
    ...value.reference,
    count: value.unknown >= 0 && hidden(value.unknown) ? null : value.count,
  });
  return {
    dimensions: [...published.dimensions],
    k: published.k,
    cells: cells.map(release),
    totals: totals.map(release),
    exposedToCoarserReleases: [...cells, ...totals]
      .filter((value) => exposed.has(value.unknown))
      .map((value) => value.reference),
  };
}

/**
 * The non-zero cells over the dimensions that take more than one value among them. A
 * dimension with a single value (the month, in a table of one month) adds nothing: summing
 * over it gives back the very same numbers, so those "coarser" totals are the cells
 * themselves and a query for them is this query. Dropping it keeps the conservative attacker
 * from being handed every cell of k or more as if some other release had published it, and
 * keeps the linear system small. Zero cells are public and play no part.
 */
function informativeTable(published: IndexedTable): { table: IndexedTable; dimensions: number[] } {
  const nonZero = published.cellCounts.flatMap((count, cell) => (count > 0 ? [cell] : []));
  let kept = published.dimensions
    .map((_, d) => d)
    .filter((d) => new Set(nonZero.map((cell) => published.cellCoordinates[cell][d])).size > 1);
  if (kept.length === 0) kept = [0];
  const table = indexTable({
    dimensions: kept.map((d) => published.dimensions[d]),
    k: published.k,
    cells: nonZero.map((cell) => ({
      key: kept.map((d) => published.values[d][published.cellCoordinates[cell][d]]),
      count: published.cellCounts[cell],
    })),
  });
  return { table, dimensions: kept };
}

/**
 * Where each non-zero published value sits in the informative table, as an unknown id of the
 * planner (a cell id, or the number of cells plus a total id). Non-zero cells keep their order
 * there, so the i-th non-zero published cell is informative cell i. A total is the total over
 * the informative dimensions it fixes, or a cell if it fixes them all; any of its non-zero
 * cells leads to it.
 */
function informativeUnknowns(
  published: IndexedTable,
  informative: IndexedTable,
  kept: readonly number[],
): { cell: (cell: number) => number; total: (total: number) => number } {
  const informativeCell = new Map<number, number>();
  published.cellCounts.forEach((count, cell) => {
    if (count > 0) informativeCell.set(cell, informativeCell.size);
  });
  const subsetOfMask = new Map(informative.subsets.map((mask, index) => [mask, index]));
  const cellCount = informative.cellCounts.length;
  return {
    cell: (cell) => informativeCell.get(cell)!,
    total: (id) => {
      const { subset, cells } = published.totals[id];
      const mask = published.subsets[subset];
      const informativeMask = kept.reduce((bits, d, i) => bits | (((mask >> d) & 1) << i), 0);
      const index = subsetOfMask.get(informativeMask);
      const cell = informativeCell.get(cells[0])!;
      return index === undefined ? cell : cellCount + informative.cellTotals[cell][index];
    },
  };
}

function cellReference(table: IndexedTable, cell: number): ValueReference {
  return {
    dimensions: [...table.dimensions],
    key: table.cellCoordinates[cell].map((value, d) => table.values[d][value]),
  };
}

function totalReference(table: IndexedTable, id: number): ValueReference {
  const { subset, coordinates } = table.totals[id];
  const dimensions = subsetDimensions(table, subset);
  return {
    dimensions: dimensions.map((d) => table.dimensions[d]),
    key: coordinates.map((value, i) => table.values[dimensions[i]][value]),
  };
}
