import { exposedToCoarserReleases, protectTable, skewedCountTable } from '@mayak/statistics';
import { LinearBounds } from './linear-bounds';

/*
 * The four-way report's tables (channel × outcome × age band × gender identity, one month)
 * against the integer attacker of the differencing test (HiGHS), with what a coordinator can
 * learn about a month from every other answer: each released cell, that a missing cell is 0,
 * that a suppressed cell is at least 1, and — as disclosure control assumes — every marginal
 * total of k or more, as if a coarser breakdown had published it. A released four-way table
 * must leave every suppressed cell, and every marginal total below k, a range of more than
 * one whole number. A table that coarser totals alone give away must not be released at all.
 */

const K = 10;
const DIMENSIONS = [
  { name: 'channel', size: 3, skew: 0.6 },
  { name: 'outcome', size: 3, skew: 0.6 },
  { name: 'ageBand', size: 3, skew: 0.6 },
  { name: 'genderIdentity', size: 3, skew: 0.6 },
];

describe('a released four-way table against the integer attacker', () => {
  it('leaves no suppressed cell or small total pinned, over seeded months', async () => {
    let released = 0;
    let targets = 0;
    for (let seed = 1; released < 4 && seed <= 40; seed++) {
      const truth = skewedCountTable({ seed, dimensions: DIMENSIONS, total: 2000, k: K });
      const release = protectTable(truth);
      if (exposedToCoarserReleases(truth)) {
        // Coarser totals alone pin a small value: the service withholds such a month whole.
        expect(release.exposedToCoarserReleases.length).toBeGreaterThan(0);
        continue;
      }
      if (release.exposedToCoarserReleases.length > 0) continue;
      // Every dimension must take several values, or "totals" over it are cells.
      for (let d = 0; d < DIMENSIONS.length; d++)
        expect(new Set(truth.cells.map((c) => c.key[d])).size).toBeGreaterThan(1);
      released++;
      const cells = truth.cells.filter((c) => c.count > 0);
      const lp = new LinearBounds(cells.length);
      const counted = release.cells.filter((c) => c.count !== 0);
      expect(counted).toHaveLength(cells.length);
      counted.forEach((value, i) => {
        expect(value.key).toEqual(cells[i].key);
        if (value.count === null) lp.constrain([i], 1, Infinity);
        else lp.constrain([i], value.count, value.count);
      });
      // Every marginal total, as the cells it sums; known when k or more.
      const small: Array<{ name: string; terms: number[]; count: number }> = [];
      for (let mask = 0; mask < (1 << DIMENSIONS.length) - 1; mask++) {
        const groups = new Map<string, number[]>();
        cells.forEach((cell, i) => {
          const id = cell.key.filter((_, d) => (mask >> d) & 1).join('/');
          groups.set(id, [...(groups.get(id) ?? []), i]);
        });
        for (const [id, terms] of groups) {
          const count = terms.reduce((n, i) => n + cells[i].count, 0);
          if (count >= K) lp.constrain(terms, count, count);
          else small.push({ name: `total ${mask} ${id}`, terms, count });
        }
      }
      const hidden = [
        ...counted.flatMap((value, i) =>
          value.count === null
            ? [{ name: `cell ${value.key.join('/')}`, terms: [i], count: cells[i].count }]
            : [],
        ),
        ...small,
      ];
      const pinned: string[] = [];
      for (const target of hidden) {
        const { min, max } = await lp.bounds(target.terms);
        // The attacker must be right, or a verdict of "not pinned" proves nothing.
        expect(target.count).toBeGreaterThanOrEqual(min - 1e-6);
        expect(target.count).toBeLessThanOrEqual(max + 1e-6);
        if (Math.ceil(min - 1e-6) === Math.floor(max + 1e-6))
          pinned.push(`${target.name} = ${target.count}`);
      }
      targets += hidden.length;
      expect({ seed, pinned }).toEqual({ seed, pinned: [] });
    }
    // The seeds must have given tables to attack, with something hidden in them.
    expect(released).toBe(4);
    expect(targets).toBeGreaterThan(10);
  }, 120_000);
});
