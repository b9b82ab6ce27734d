import { CountCell, CountTable } from './disclosure.types';

/**
 * Synthetic breakdowns shaped like the helpline's: a few big categories and a long tail of
 * small ones (two federal cities and many quiet regions), for the benchmark and the tests.
 * Seeded, so that a failing table can be reproduced; never used on real data.
 */
export interface SkewedTableOptions {
  readonly seed: number;
  /** Per dimension: its name, its number of values, and how steeply their sizes fall off. */
  readonly dimensions: readonly { name: string; size: number; skew: number }[];
  /** The expected sum of all cells. */
  readonly total: number;
  readonly k?: number;
}

export function skewedCountTable(options: SkewedTableOptions): CountTable {
  const random = seededRandom(options.seed);
  const shares = options.dimensions.map(({ size, skew }) => zipfShares(size, skew, random));
  const cells: CountCell[] = [];
  forEachKey(
    options.dimensions.map((dimension) => dimension.size),
    (indices) => {
      const share = indices.reduce((product, index, d) => product * shares[d][index], 1);
      const count = poisson(options.total * share, random);
      if (count > 0)
        cells.push({
          key: indices.map((index, d) => valueName(options.dimensions[d].name, index)),
          count,
        });
    },
  );
  return { dimensions: options.dimensions.map((dimension) => dimension.name), cells, k: options.k };
}

/** Mulberry32: small, fast and good enough to make test tables; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shares ∝ 1/rank^skew, dealt to the values in a shuffled order so big ones are anywhere. */
function zipfShares(size: number, skew: number, random: () => number): number[] {
  const weights = Array.from({ length: size }, (_, rank) => 1 / Math.pow(rank + 1, skew));
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [weights[i], weights[j]] = [weights[j], weights[i]];
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((weight) => weight / sum);
}

function poisson(mean: number, random: () => number): number {
  if (mean > 30) {
    // Normal approximation; Box–Muller.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let count = 0;
  for (let product = random(); product > limit; product *= random()) count++;
  return count;
}

function forEachKey(sizes: readonly number[], visit: (indices: number[]) => void): void {
  const indices = sizes.map(() => 0);
  if (sizes.some((size) => size === 0)) return;
  for (;;) {
    visit([...indices]);
    let d = sizes.length - 1;
    while (d >= 0 && ++indices[d] === sizes[d]) indices[d--] = 0;
    if (d < 0) return;
  }
}

function valueName(dimension: string, index: number): string {
  return `${dimension}-${String(index + 1).padStart(3, '0')}`;
}
