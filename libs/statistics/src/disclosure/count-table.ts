import { StatisticsError, StatisticsException } from '../statistics.exception';
import {
  CountTable,
  DEFAULT_DISCLOSURE_THRESHOLD,
  MINIMUM_DISCLOSURE_THRESHOLD,
} from './disclosure.types';

/** A marginal total: the sum of the cells that share its values on a proper subset of dims. */
export interface MarginalTotal {
  /** Index into `IndexedTable.subsets`. */
  readonly subset: number;
  /** One value index per dimension in the subset, in dimension order. */
  readonly coordinates: readonly number[];
  readonly count: number;
  /** The non-zero cells it sums; zero cells are public and never matter to an attacker. */
  readonly cells: readonly number[];
}

/**
 * A validated breakdown with every index disclosure control needs. Cells are sorted by key
 * (dimension values compared as plain strings), and every id below follows that order, so
 * "ties broken by key order" is simply "lowest id first".
 */
export interface IndexedTable {
  readonly dimensions: readonly string[];
  readonly k: number;
  /** Per dimension, its distinct values, sorted. */
  readonly values: readonly (readonly string[])[];
  /** Per cell, one value index per dimension. */
  readonly cellCoordinates: readonly (readonly number[])[];
  readonly cellCounts: readonly number[];
  /** Proper subsets of the dimensions as bit masks, coarsest first. */
  readonly subsets: readonly number[];
  readonly totals: readonly MarginalTotal[];
  /** Per cell, the id of the total containing it for each subset (indexed like `subsets`). */
  readonly cellTotals: readonly (readonly number[])[];
  /** Subsets with all dimensions but one: their totals are the table's lines (rows, columns…). */
  readonly lineSubsets: readonly number[];
}

/** A table that passed validation: cells sorted by key, each key once. */
export interface ValidatedTable {
  readonly dimensions: readonly string[];
  readonly k: number;
  readonly cells: readonly { readonly key: readonly string[]; readonly count: number }[];
}

export function validateCountTable(table: CountTable): ValidatedTable {
  const k = validateThreshold(table.k);
  const dimensions = validateDimensions(table.dimensions);
  validateCells(table.cells, dimensions.length);
  const cells = table.cells
    .map((cell) => ({ key: [...cell.key], count: cell.count }))
    .sort((a, b) => compareKeys(a.key, b.key));
  for (let i = 1; i < cells.length; i++)
    if (compareKeys(cells[i - 1].key, cells[i].key) === 0)
      throw new StatisticsException(
        StatisticsError.InvalidTable,
        'cells',
        'every key may appear only once',
      );
  return { dimensions, k, cells };
}

/** Indexes cells already sorted by key with no key twice (as `validateCountTable` leaves them). */
export function indexTable(table: ValidatedTable): IndexedTable {
  const { dimensions, cells } = table;
  const values = dimensions.map((_, d) => distinctSorted(cells.map((cell) => cell.key[d])));
  const cellCoordinates = cells.map((cell) =>
    cell.key.map((value, d) => binarySearch(values[d], value)),
  );
  const cellCounts = cells.map((cell) => cell.count);
  const subsets = properSubsets(dimensions.length);
  const radices = values.map((list) => list.length);
  // Totals are keyed by mixed-radix numbers, which must stay exact.
  if (radices.reduce((product, radix) => product * radix, 1) > Number.MAX_SAFE_INTEGER)
    throw new StatisticsException(
      StatisticsError.InvalidTable,
      'cells',
      'the dimensions have too many combinations of values',
    );
  const { totals, cellTotals } = buildTotals(cellCoordinates, cellCounts, subsets, radices);
  const full = (1 << dimensions.length) - 1;
  return {
    dimensions,
    k: table.k,
    values,
    cellCoordinates,
    cellCounts,
    subsets,
    totals,
    cellTotals,
    lineSubsets: subsets.flatMap((mask, index) => (bitCount(full ^ mask) === 1 ? [index] : [])),
  };
}

/** The dimensions a subset mask selects, in table order. */
export function subsetDimensions(table: IndexedTable, subset: number): number[] {
  const mask = table.subsets[subset];
  return table.dimensions.flatMap((_, d) => ((mask >> d) & 1 ? [d] : []));
}

function validateThreshold(k: number | undefined): number {
  if (k === undefined) return DEFAULT_DISCLOSURE_THRESHOLD;
  if (!Number.isSafeInteger(k) || k < MINIMUM_DISCLOSURE_THRESHOLD)
    throw new StatisticsException(
      StatisticsError.ThresholdTooLow,
      'k',
      `must be a whole number of at least ${MINIMUM_DISCLOSURE_THRESHOLD}`,
    );
  return k;
}

// Masks are 32-bit and every cell is in 2^d − 1 totals: beyond a handful of dimensions a
// breakdown is all suppression anyway.
const MAX_DIMENSIONS = 8;

function validateDimensions(dimensions: unknown): string[] {
  const invalid = (problem: string) =>
    new StatisticsException(StatisticsError.InvalidTable, 'dimensions', problem);
  if (!isArray(dimensions) || dimensions.length === 0)
    throw invalid('must name at least one dimension');
  if (dimensions.length > MAX_DIMENSIONS)
    throw invalid(`may name at most ${MAX_DIMENSIONS} dimensions`);
  if (!dimensions.every((name): name is string => typeof name === 'string' && name !== ''))
    throw invalid('must be non-empty strings');
  if (new Set(dimensions).size !== dimensions.length) throw invalid('must not repeat a name');
  return [...dimensions];
}

// The API validates its DTOs, but this module is the last line before publication: it checks
// the shape itself rather than trust the types.
function validateCells(cells: unknown, dimensionCount: number): void {
  const invalid = (problem: string) =>
    new StatisticsException(StatisticsError.InvalidTable, 'cells', problem);
  if (!isArray(cells)) throw invalid('must be an array');
  let sum = 0;
  for (const cell of cells) {
    const { key, count } = (cell ?? {}) as { key?: unknown; count?: unknown };
    if (!isArray(key) || key.length !== dimensionCount)
      throw invalid('every key must have one value per dimension');
    if (!key.every((value) => typeof value === 'string'))
      throw invalid('key values must be strings');
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
      throw invalid('counts must be whole numbers of zero or more');
    sum += count;
  }
  if (!Number.isSafeInteger(sum)) throw invalid('the counts add up to more than can be exact');
}

function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function buildTotals(
  cellCoordinates: readonly (readonly number[])[],
  cellCounts: readonly number[],
  subsets: readonly number[],
  radices: readonly number[],
): { totals: MarginalTotal[]; cellTotals: number[][] } {
  const cellTotals: number[][] = cellCoordinates.map(() => []);
  const totals: MarginalTotal[] = [];
  subsets.forEach((mask, subset) => {
    const dims = radices.flatMap((_, d) => ((mask >> d) & 1 ? [d] : []));
    // A mixed-radix number of the projected coordinates, most significant first, sorts like
    // the coordinates themselves, so the totals of a subset get their ids in key order.
    const keyOf = (coordinates: readonly number[]) =>
      dims.reduce((key, d) => key * radices[d] + coordinates[d], 0);
    const byKey = new Map<number, { coordinates: number[]; count: number; cells: number[] }>();
    const cellKeys = cellCoordinates.map((coordinates, cell) => {
      const key = keyOf(coordinates);
      let total = byKey.get(key);
      if (!total) {
        total = { coordinates: dims.map((d) => coordinates[d]), count: 0, cells: [] };
        byKey.set(key, total);
      }
      total.count += cellCounts[cell];
      if (cellCounts[cell] > 0) total.cells.push(cell);
      return key;
    });
    // The grand total exists even for a table with no cells: it is a public zero.
    if (mask === 0 && byKey.size === 0) byKey.set(0, { coordinates: [], count: 0, cells: [] });
    const first = totals.length;
    const keys = [...byKey.keys()].sort((a, b) => a - b);
    const idOf = new Map(keys.map((key, i) => [key, first + i]));
    for (const key of keys) totals.push({ subset, ...byKey.get(key)! });
    cellKeys.forEach((key, cell) => cellTotals[cell].push(idOf.get(key)!));
  });
  return { totals, cellTotals };
}

/** Every subset except the full set, by size, then in dimension order: ∅, {a}, {b}, {a,b}, … */
function properSubsets(dimensionCount: number): number[] {
  const full = (1 << dimensionCount) - 1;
  const masks = Array.from({ length: full }, (_, mask) => mask);
  const dims = (mask: number) =>
    Array.from({ length: dimensionCount }, (_, d) => d).filter((d) => (mask >> d) & 1);
  return masks.sort((a, b) => bitCount(a) - bitCount(b) || compareCoordinates(dims(a), dims(b)));
}

export function compareCoordinates(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function bitCount(mask: number): number {
  let count = 0;
  for (let rest = mask; rest; rest &= rest - 1) count++;
  return count;
}

export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = compareStrings(a[i], b[i]);
    if (order) return order;
  }
  return 0;
}

// Plain code-unit comparison: the same order on every machine and locale.
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function distinctSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareStrings);
}

function binarySearch(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const order = compareStrings(sorted[middle], value);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  throw new Error('value missing from its own dimension');
}
