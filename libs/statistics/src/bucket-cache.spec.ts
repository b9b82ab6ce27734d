import { BucketCache } from './bucket-cache';
import { BucketCells } from './bucket-cells';

const cells = (size: number): BucketCells => ({
  values: [],
  cuboids: [
    {
      keys: new Uint16Array(0),
      contacts: new Uint32Array(size).fill(7),
      consented: new Uint32Array(size).fill(5),
    },
  ],
  size,
});

describe('the cache of decrypted rollup rows', () => {
  it('holds a row only at the version it was decrypted at', () => {
    const cache = new BucketCache(100);
    const row = cells(3);
    cache.set('day:2026-10-05', '41', row);
    expect(cache.get('day:2026-10-05', '41')).toBe(row);
    expect(cache.get('day:2026-10-05', '42')).toBeUndefined();
    cache.set('day:2026-10-05', '42', cells(4));
    expect(cache.size).toEqual({ rows: 1, cells: 4 });
  });

  it('drops the least recently used rows first, counting cells, not rows', () => {
    const cache = new BucketCache(10);
    cache.set('a', '1', cells(4));
    cache.set('b', '2', cells(4));
    cache.get('a', '1');
    cache.set('c', '3', cells(4));
    expect([cache.versionOf('a'), cache.versionOf('b'), cache.versionOf('c')]).toEqual([
      '1',
      undefined,
      '3',
    ]);
    // A row larger than the whole cache is not kept at all.
    cache.set('d', '4', cells(11));
    expect(cache.versionOf('d')).toBeUndefined();
    expect(cache.size).toEqual({ rows: 2, cells: 8 });
  });

  it('on clearing (the keys sealed), zeroes the counts it held', () => {
    const cache = new BucketCache(10);
    const row = cells(2);
    cache.set('a', '1', row);
    cache.clear();
    expect(cache.size).toEqual({ rows: 0, cells: 0 });
    expect([...row.cuboids[0]!.contacts, ...row.cuboids[0]!.consented]).toEqual([0, 0, 0, 0]);
  });
});
