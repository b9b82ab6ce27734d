import { exposedToCoarserReleases } from './coarser-exposure';
import { CountTable } from './disclosure.types';
import { protectTable } from './protect-table';
import { skewedCountTable } from './skewed-table';

const cells = (rows: Array<[string, string, string, number]>): CountTable => ({
  dimensions: ['channel', 'outcome', 'ageBand'],
  cells: rows.map(([a, b, c, count]) => ({ key: [a, b, c], count })),
});

describe('exposedToCoarserReleases', () => {
  it('finds a small marginal total that its line of totals ≥ k gives away', () => {
    // phone × referred adds up to 4 over the age bands; phone adds up to 4 + 30, and so
    // does email against its own total: phone × referred = phone − phone × given.
    const table = cells([
      ['phone', 'given', '18-24', 15],
      ['phone', 'given', '25-34', 15],
      ['phone', 'referred', '18-24', 2],
      ['phone', 'referred', '25-34', 2],
      ['email', 'given', '18-24', 12],
      ['email', 'given', '25-34', 13],
      ['email', 'referred', '18-24', 11],
      ['email', 'referred', '25-34', 14],
    ]);
    expect(exposedToCoarserReleases(table)).toBe(true);
    // The planner agrees: no choice of cells protects it.
    expect(protectTable(table).exposedToCoarserReleases).toContainEqual({
      dimensions: ['channel', 'outcome'],
      key: ['phone', 'referred'],
    });
  });

  it('finds nothing where every small total shares its lines with another small one', () => {
    // Referred and other are small for both channels and both age bands: every line of
    // totals holds two small entries or none, so the totals alone pin none of them.
    const table = cells([
      ['phone', 'given', '18-24', 15],
      ['phone', 'given', '25-34', 15],
      ['phone', 'referred', '18-24', 2],
      ['phone', 'referred', '25-34', 2],
      ['phone', 'other', '18-24', 2],
      ['phone', 'other', '25-34', 2],
      ['email', 'given', '18-24', 12],
      ['email', 'given', '25-34', 13],
      ['email', 'referred', '18-24', 2],
      ['email', 'referred', '25-34', 3],
      ['email', 'other', '18-24', 2],
      ['email', 'other', '25-34', 2],
    ]);
    expect(exposedToCoarserReleases(table)).toBe(false);
  });

  it('treats a dimension with one value as no dimension: its "totals" are the cells', () => {
    const table: CountTable = {
      dimensions: ['month', 'channel', 'outcome'],
      cells: [
        { key: ['2026-06', 'phone', 'given'], count: 30 },
        { key: ['2026-06', 'phone', 'referred'], count: 4 },
        { key: ['2026-06', 'email', 'given'], count: 25 },
        { key: ['2026-06', 'email', 'referred'], count: 25 },
      ],
    };
    // Over month the cells are their own totals: the planner protects the 4 with cells.
    expect(exposedToCoarserReleases(table)).toBe(false);
    expect(protectTable(table).exposedToCoarserReleases).toEqual([]);
  });

  it('never says so of a table the planner can protect (seeded sparse tables)', () => {
    let found = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const table = skewedCountTable({
        seed,
        dimensions: [
          { name: 'channel', size: 4, skew: 1 },
          { name: 'outcome', size: 4, skew: 0.8 },
          { name: 'ageBand', size: 5, skew: 0.6 },
        ],
        total: 150 + seed * 10,
      });
      if (!exposedToCoarserReleases(table)) continue;
      found++;
      expect({ seed, exposed: protectTable(table).exposedToCoarserReleases.length > 0 }).toEqual({
        seed,
        exposed: true,
      });
    }
    // The check must have had something to agree with.
    expect(found).toBeGreaterThan(5);
  });
});
