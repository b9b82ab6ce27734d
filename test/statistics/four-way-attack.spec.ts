import { protectCover, skewedCountTable } from '@mayak/statistics';
import { LinearBounds } from './linear-bounds';

/*
 * The four-way report's cover (channel × outcome × age band × gender identity, one month,
 * released at every level from two dimensions up: protectCover) against the integer attacker of
 * the differencing test (HiGHS). What a coordinator can learn about a month: every value the
 * cover releases at every level, that a row missing from a level is 0, and — from answers
 * outside the cover — the grand total and every one-dimensional total of k or more (and the
 * one-dimensional zeros). A suppressed row may hide a 0, so the attacker knows only that it
 * is at least 0. Every suppressed value, at every level, and every one-dimensional total
 * below k must keep a range of more than one whole number; none from 1 to k − 1 may be
 * released; and the cover must release something, or "not recovered" proves nothing.
 */

const K = 10;
const SHAPES = [
  // Sparse, as a quiet month of a small helpline is: mostly 0s and 1s.
  { total: 150, sizes: [3, 3, 4, 4], skews: [0.8, 0.8, 0.8, 0.8], seeds: 3 },
  { total: 600, sizes: [3, 3, 4, 4], skews: [0.8, 0.8, 0.8, 0.8], seeds: 2 },
  { total: 3000, sizes: [3, 3, 4, 4], skews: [0.8, 0.8, 0.8, 0.8], seeds: 2 },
  // One channel rare enough to be the only small total of its dimension.
  { total: 300, sizes: [3, 3, 3, 4], skews: [3.5, 0.8, 0.8, 0.8], seeds: 3 },
];
const NAMES = ['channel', 'outcome', 'ageBand', 'genderIdentity'];

describe('the four-way cover against the integer attacker', () => {
  it('leaves no suppressed value, at any level, pinned', async () => {
    let tables = 0;
    let targets = 0;
    let released = 0;
    let lonely = 0;
    for (const shape of SHAPES)
      for (let seed = 1; seed <= shape.seeds; seed++) {
        const dimensions = NAMES.map((name, d) => ({
          name,
          size: shape.sizes[d],
          skew: shape.skews[d],
        }));
        const truth = skewedCountTable({ seed, dimensions, total: shape.total, k: K });
        const cover = protectCover(truth);
        if (cover.withheld) continue;
        tables++;
        // Unknowns: every cell over the values present, zero or not (a suppressed row may be 0).
        const values = NAMES.map((_, d) => [...new Set(truth.cells.map((c) => c.key[d]))].sort());
        const keys: string[][] = [[]];
        for (const list of values)
          keys.splice(0, keys.length, ...keys.flatMap((key) => list.map((v) => [...key, v])));
        const truthOf = new Map(truth.cells.map((c) => [c.key.join('/'), c.count]));
        const lp = new LinearBounds(keys.length);
        const hidden: Array<{ name: string; terms: number[]; count: number }> = [];
        for (let mask = 0; mask < 1 << NAMES.length; mask++) {
          const level = NAMES.filter((_, d) => (mask >> d) & 1);
          const groups = new Map<string, { terms: number[]; count: number }>();
          keys.forEach((key, i) => {
            const id = key.filter((_, d) => (mask >> d) & 1).join('/');
            const group = groups.get(id) ?? { terms: [], count: 0 };
            group.terms.push(i);
            group.count += truthOf.get(key.join('/')) ?? 0;
            groups.set(id, group);
          });
          if (level.length <= 1) {
            // Published by answers outside the cover when k or more (or 0), unless exactly one
            // of the dimension's totals is small: then every answer outside the cover that
            // involves the dimension is withheld, and none of its totals is published.
            const small = [...groups.values()].filter((g) => g.count > 0 && g.count < K);
            for (const [id, group] of groups)
              if (
                group.count === 0 ||
                (group.count >= K && (level.length === 0 || small.length !== 1))
              )
                lp.constrain(group.terms, group.count, group.count);
              else if (group.count < K) hidden.push({ name: `total ${id}`, ...group });
            if (small.length === 1) lonely++;
            continue;
          }
          const rows = new Map(cover.level(level).map((row) => [row.key.join('/'), row.count]));
          for (const [id, group] of groups) {
            if (!rows.has(id)) {
              expect({ id, count: group.count }).toEqual({ id, count: 0 });
              lp.constrain(group.terms, 0, 0);
              continue;
            }
            const count = rows.get(id)!;
            if (count === null) {
              hidden.push({ name: `${level.join('×')} ${id}`, ...group });
              continue;
            }
            expect({ id, count }).toEqual({ id, count: group.count });
            // Nothing from 1 to k − 1 is released.
            expect(count >= K || count === 0).toBe(true);
            lp.constrain(group.terms, count, count);
            if (level.length === NAMES.length) released++;
          }
        }
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
        expect({ shape, seed, pinned }).toEqual({ shape, seed, pinned: [] });
      }
    // Sparse tables included, none withheld; something hidden to attack, something released.
    expect(tables).toBe(SHAPES.reduce((n, shape) => n + shape.seeds, 0));
    expect(targets).toBeGreaterThan(100);
    expect(released).toBeGreaterThan(20);
    // Some dimension with a lone small total, whose totals the cover then hides.
    expect(lonely).toBeGreaterThan(0);
  }, 300_000);
});
