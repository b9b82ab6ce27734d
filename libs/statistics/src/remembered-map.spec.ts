import { RememberedMap } from './remembered-map';

const table = (cells: number) => ({
  cells: Array.from({ length: cells }, (_, i) => ({ key: [String(i)], count: 10 + i })),
});
const byCells = () => new RememberedMap<ReturnType<typeof table>>(10, (t) => t.cells.length);

describe('RememberedMap', () => {
  it('keeps entries until their weight passes the limit, then drops the least recently used', () => {
    const memory = byCells();
    const [a, b, c] = [table(4), table(4), table(4)];
    memory.set('a', a);
    memory.set('b', b);
    expect(memory.get('a')).toBe(a); // a is now the most recently used
    memory.set('c', c);
    expect(memory.get('b')).toBeUndefined();
    expect(memory.get('a')).toBe(a);
    expect(memory.get('c')).toBe(c);
    expect(memory.size).toEqual({ entries: 2, weight: 8 });
  });

  it('makes room for a heavy entry by dropping as many light ones as it takes', () => {
    const memory = byCells();
    for (const id of ['a', 'b', 'c', 'd', 'e']) memory.set(id, table(2));
    memory.set('big', table(7));
    expect(memory.size).toEqual({ entries: 2, weight: 9 });
    expect(memory.get('e')).toBeDefined();
    expect(memory.get('a')).toBeUndefined();
  });

  it('never holds an entry heavier than the whole limit, and does not count one twice', () => {
    const memory = byCells();
    memory.set('huge', table(11));
    expect(memory.get('huge')).toBeUndefined();
    memory.set('a', table(3));
    memory.set('a', table(3));
    expect(memory.size).toEqual({ entries: 1, weight: 3 });
  });

  it('counts each entry once by default, and forgets everything on clear', () => {
    const memory = new RememberedMap<string>(2);
    memory.set('a', 'x');
    memory.set('b', 'y');
    memory.set('c', 'z');
    expect([memory.get('a'), memory.get('b'), memory.get('c')]).toEqual([undefined, 'y', 'z']);
    memory.clear();
    expect(memory.size).toEqual({ entries: 0, weight: 0 });
    expect(memory.get('c')).toBeUndefined();
  });
});
