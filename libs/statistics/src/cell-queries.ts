import { BucketCells, CUBOID_POSITIONS } from './bucket-cells';
import { ContactFacts } from './contact-facts';
import { Dimension, DIMENSION, DIMENSIONS } from './dimensions';
import { Period, periodLabel } from './periods';

/** One cell of an answer before disclosure control: a period, the groupBy values, a count. */
export interface RawCell {
  period: string;
  key: string[];
  count: number;
}

/** What the in-memory counting needs of a query. */
export interface CellQuery {
  period: Period;
  groupBy: readonly Dimension[];
  /** Dimension → the values to keep; an empty list keeps everything. */
  filters: Partial<Record<Dimension, readonly string[]>>;
}

/** What a cell counts: every contact, those with statistics consent, or those without. */
export type CellMeasure = 'contacts' | 'consented' | 'unconsented';

/** Cells by period and key, added up as they come. */
export class CellSums {
  private readonly cells = new Map<string, RawCell>();

  add(period: string, key: string[], count: number): void {
    const id = `${period}\u0000${key.join('\u0000')}`;
    const cell = this.cells.get(id);
    if (cell) cell.count += count;
    else this.cells.set(id, { period, key, count });
  }

  /** The cells with a count (a cell is never negative). */
  list(): RawCell[] {
    return [...this.cells.values()].filter((c) => c.count > 0);
  }

  total(): number {
    let n = 0;
    for (const cell of this.cells.values()) n += cell.count;
    return n;
  }
}

/**
 * Adds up one cuboid's cells of the given buckets (days or months) into the query's periods
 * and groups, keeping the cells its filters allow: the rollup read in memory. The cuboid must
 * cover the query (chooseCuboid); a bucket that does not hold it adds nothing.
 */
export function sumCuboid(
  buckets: ReadonlyArray<{ bucket: string; cells: BucketCells }>,
  cuboidId: number,
  query: CellQuery,
  measure: CellMeasure,
  into = new CellSums(),
): CellSums {
  const positions = CUBOID_POSITIONS[cuboidId];
  const n = positions.length;
  const grouped = query.groupBy.map((d) => positions.indexOf(DIMENSIONS.indexOf(d)));
  for (const { bucket, cells } of buckets) {
    const cuboid = cells.cuboids[cuboidId];
    if (!cuboid) continue;
    const period = periodLabel(query.period, bucket);
    // Per dimension of the cuboid, which of this bucket's value indexes the filters keep.
    const keeps = positions.map((p) => {
      const wanted = query.filters[DIMENSIONS[p]];
      return wanted?.length ? cells.values[p].map((value) => wanted.includes(value)) : undefined;
    });
    cells: for (let c = 0; c < cuboid.contacts.length; c++) {
      for (let j = 0; j < n; j++)
        if (keeps[j] && !keeps[j]![cuboid.keys[c * n + j]]) continue cells;
      const count =
        measure === 'contacts'
          ? cuboid.contacts[c]
          : measure === 'consented'
            ? cuboid.consented[c]
            : cuboid.contacts[c] - cuboid.consented[c];
      if (count === 0) continue;
      into.add(
        period,
        grouped.map((j) => cells.values[positions[j]][cuboid.keys[c * n + j]]),
        count,
      );
    }
  }
  return into;
}

/**
 * The same counts from the contacts themselves: the fallback where no cuboid answers, and the
 * ground truth the rollups are checked against. A contact passes a filter on topics or
 * services when any of its values is kept (once, however many are), and counts once under
 * each combination of its values of the grouped dimensions. Returns how many contacts
 * passing the filters lack statistics consent.
 */
export function countContacts(
  contacts: Iterable<ContactFacts>,
  query: CellQuery,
  measure: 'contacts' | 'consented',
  into: CellSums,
): number {
  const filters = Object.entries(query.filters).filter(
    (entry): entry is [Dimension, readonly string[]] => !!entry[1]?.length,
  );
  let unconsented = 0;
  for (const contact of contacts) {
    if (!filters.every(([d, kept]) => DIMENSION[d].of(contact).some((v) => kept.includes(v))))
      continue;
    if (!contact.statsConsented) unconsented += 1;
    if (measure === 'consented' && !contact.statsConsented) continue;
    const period = periodLabel(query.period, contact.day);
    const values = query.groupBy.map((d) => DIMENSION[d].of(contact));
    const addCombinations = (key: string[]): void => {
      if (key.length === values.length) into.add(period, key, 1);
      else for (const value of values[key.length]) addCombinations([...key, value]);
    };
    addCombinations([]);
  }
  return unconsented;
}
