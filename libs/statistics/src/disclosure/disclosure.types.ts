/** The threshold the spec sets: no published count may be between 1 and k − 1. */
export const DEFAULT_DISCLOSURE_THRESHOLD = 10;

/** Below 5 a published count singles people out too easily; callers may raise k, never lower it. */
export const MINIMUM_DISCLOSURE_THRESHOLD = 5;

/** One non-empty cell of a breakdown: one value per dimension, in the order of `dimensions`. */
export interface CountCell {
  readonly key: readonly string[];
  readonly count: number;
}

/** A breakdown of counts for one period, before disclosure control. */
export interface CountTable {
  /** The breakdown's dimensions, e.g. ['region', 'topic']; at least one, each named once. */
  readonly dimensions: readonly string[];
  /** The non-empty cells. A key that is absent is a zero, and zeros are public. */
  readonly cells: readonly CountCell[];
  /** The threshold k; defaults to 10 and may not be below 5. */
  readonly k?: number;
}

/**
 * One published value: a cell (its `dimensions` are all the table's dimensions) or a marginal
 * total (its `dimensions` are a proper subset, possibly empty for the grand total).
 * `count` is null when the value is suppressed. Nothing says why it was suppressed: telling
 * primary from complementary suppression would tell which counts are below k.
 */
export interface ProtectedValue {
  readonly dimensions: readonly string[];
  readonly key: readonly string[];
  readonly count: number | null;
}

/** Names a suppressed value without its count. */
export interface ValueReference {
  readonly dimensions: readonly string[];
  readonly key: readonly string[];
}

export interface ProtectedTable {
  readonly dimensions: readonly string[];
  readonly k: number;
  /** Every cell of the input (zeros given explicitly included), sorted by key. */
  readonly cells: readonly ProtectedValue[];
  /**
   * The marginal totals for every proper subset of the dimensions, coarsest first (the grand
   * total, then one dimension, …), each sorted by key.
   */
  readonly totals: readonly ProtectedValue[];
  /**
   * Suppressed values that this release protects only by suppressing some totals of k or more.
   * They stay hidden as long as no other release publishes those totals; a separate, coarser
   * breakdown of the same period might (e.g. a region's 3 calls, when every other region and
   * the grand total are 10 or more, follow from the per-region totals alone; or a region's 10
   * calls on 10 different topics, whose total says each listed cell is 1). Serve coarser
   * breakdowns of the same period from this result's `totals`, or merge small categories.
   * Usually empty. For the API's own decision: never publish this list.
   */
  readonly exposedToCoarserReleases: readonly ValueReference[];
}
