import { ProtectedPeriod, RememberedTables } from './remembered-tables';

const table = (cells: number): ProtectedPeriod => ({
  cells: Array.from({ length: cells }, (_, i) => ({ key: [String(i)], count: 10 + i })),
  withheld: false,
});

describe('RememberedTables', () => {
  it('keeps tables until their cells pass the limit, then drops the least recently used', () => {
    const memory = new RememberedTables(10);
    const [a, b, c] = [table(4), table(4), table(4)];
    memory.set('a', a);
    memory.set('b', b);
    expect(memory.get('a')).toBe(a); // a is now the most recently used
    memory.set('c', c);
    expect(memory.get('b')).toBeUndefined();
    expect(memory.get('a')).toBe(a);
    expect(memory.get('c')).toBe(c);
    expect(memory.size).toEqual({ tables: 2, cells: 8 });
  });

  it('makes room for a big table by dropping as many small ones as it takes', () => {
    const memory = new RememberedTables(10);
    for (const id of ['a', 'b', 'c', 'd', 'e']) memory.set(id, table(2));
    memory.set('big', table(7));
    expect(memory.size).toEqual({ tables: 2, cells: 9 });
    expect(memory.get('e')).toBeDefined();
    expect(memory.get('a')).toBeUndefined();
  });

  it('never holds a table larger than the whole limit, and does not count a table twice', () => {
    const memory = new RememberedTables(10);
    memory.set('huge', table(11));
    expect(memory.get('huge')).toBeUndefined();
    memory.set('a', table(3));
    memory.set('a', table(3));
    expect(memory.size).toEqual({ tables: 1, cells: 3 });
  });
});
