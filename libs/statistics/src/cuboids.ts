import { canonical, Dimension, DIMENSION } from './dimensions';

/**
 * The breakdowns kept pre-aggregated, per day and per month. A query whose dimensions (its
 * groupBy and its filters) are one of these, or are covered by one with only single-valued
 * dimensions to spare, reads the rollup; anything else is counted from the contacts.
 *
 * A sealed rollup names each cuboid by its dimensions (cuboidName), not by its position: a
 * cuboid added here is missing from the rollups until the nightly full rebuild fills it in,
 * and one removed is ignored where it is still stored.
 */
export const CUBOIDS: ReadonlyArray<readonly Dimension[]> = [
  [],
  ['channel'],
  ['region'],
  ['topic'],
  ['service'],
  ['outcome'],
  ['ageBand'],
  ['genderIdentity'],
  ['immediateRisk'],
  ['region', 'topic'],
  ['region', 'service'],
  ['topic', 'service'],
  ['channel', 'region'],
  ['region', 'ageBand'],
  ['region', 'genderIdentity'],
  ['region', 'immediateRisk'],
  ['channel', 'topic'],
  ['topic', 'outcome'],
  ['topic', 'ageBand'],
  ['topic', 'genderIdentity'],
  ['topic', 'immediateRisk'],
  ['service', 'outcome'],
  ['channel', 'outcome'],
  ['ageBand', 'genderIdentity'],
  ['region', 'topic', 'service'],
  ['channel', 'outcome', 'ageBand', 'genderIdentity'],
].map((c) => canonical(c as Dimension[]));

/** How a sealed rollup names a cuboid: its dimensions joined by '+' ('' for the totals). */
export const cuboidName = (dimensions: readonly Dimension[]): string => dimensions.join('+');

export interface CuboidChoice {
  id: number;
  dimensions: readonly Dimension[];
}

/**
 * The smallest cuboid that can answer a query needing `dimensions`: it has all of them, and
 * whatever else it has is single-valued (summing over a multi-valued dimension would count a
 * contact with two topics twice). Undefined: count from the contacts.
 */
export function chooseCuboid(dimensions: readonly Dimension[]): CuboidChoice | undefined {
  let best: CuboidChoice | undefined;
  CUBOIDS.forEach((cuboid, id) => {
    const covers = dimensions.every((d) => cuboid.includes(d));
    const extraAreSingle = cuboid
      .filter((d) => !dimensions.includes(d))
      .every((d) => !DIMENSION[d].multiValued);
    if (covers && extraAreSingle && (!best || cuboid.length < best.dimensions.length))
      best = { id, dimensions: cuboid };
  });
  return best;
}
