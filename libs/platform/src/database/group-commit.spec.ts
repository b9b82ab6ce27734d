import { GroupCommit } from './group-commit';

/** A writer that records its batches and finishes each when the test says so. */
function recorder(fail?: (items: readonly string[]) => Error | undefined) {
  const batches: string[][] = [];
  const gates: Array<() => void> = [];
  const write = async (items: readonly string[]) => {
    batches.push([...items]);
    await new Promise<void>((resolve) => gates.push(resolve));
    const error = fail?.(items);
    if (error) throw error;
    return items.map((i) => i.toUpperCase());
  };
  const openNext = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { batches, write, openNext };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('writes a lone item at once, in a batch of its own', async () => {
    const r = recorder();
    const commit = new GroupCommit(r.write, { maxBatch: 10, maxInFlight: 1 });
    const done = commit.submit('a');
    await r.openNext();
    await expect(done).resolves.toBe('A');
    expect(r.batches).toEqual([['a']]);
  });

  it('gathers what arrives while a transaction is under way into the next one', async () => {
    const r = recorder();
    const commit = new GroupCommit(r.write, { maxBatch: 10, maxInFlight: 1 });
    const first = commit.submit('a');
    await settle();
    const rest = ['b', 'c', 'd'].map((x) => commit.submit(x));
    await settle();
    expect(commit.waiting).toBe(3);
    await r.openNext();
    await r.openNext();
    await expect(Promise.all([first, ...rest])).resolves.toEqual(['A', 'B', 'C', 'D']);
    expect(r.batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('caps a batch at maxBatch and runs up to maxInFlight at once', async () => {
    const r = recorder();
    const commit = new GroupCommit(r.write, { maxBatch: 2, maxInFlight: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((x) => commit.submit(x));
    await settle();
    expect(r.batches).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    for (let i = 0; i < 3; i += 1) await r.openNext();
    await expect(Promise.all(all)).resolves.toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(r.batches[2]).toEqual(['e']);
  });

  it('never puts two items with the same key in one batch', async () => {
    const r = recorder();
    const commit = new GroupCommit(r.write, {
      maxBatch: 10,
      maxInFlight: 1,
      keyOf: (x) => (x.startsWith('k') ? 'k' : undefined),
    });
    const all = ['k1', 'a', 'k2', 'b', 'k3'].map((x) => commit.submit(x));
    for (let i = 0; i < 3; i += 1) await r.openNext();
    await Promise.all(all);
    expect(r.batches).toEqual([['k1', 'a', 'b'], ['k2'], ['k3']]);
  });

  it('keeps the items of one affinity together, after its batch under way, and others pass', async () => {
    const r = recorder();
    const commit = new GroupCommit(r.write, {
      maxBatch: 10,
      maxInFlight: 3,
      affinityOf: (x) => (x.startsWith('c') ? 'one caller' : undefined),
    });
    const first = commit.submit('c1');
    await settle();
    const rest = ['c2', 'a', 'c3', 'b'].map((x) => commit.submit(x));
    await settle();
    // c2 and c3 wait for c1's transaction, though a third could start: not queued on its lock.
    expect(r.batches).toEqual([['c1'], ['a', 'b']]);
    expect(commit.waiting).toBe(2);
    await r.openNext();
    await settle();
    expect(r.batches[2]).toEqual(['c2', 'c3']);
    await r.openNext();
    await r.openNext();
    await expect(Promise.all([first, ...rest])).resolves.toEqual(['C1', 'C2', 'A', 'C3', 'B']);
  });

  it('when a batch fails for one bad item, only that item fails', async () => {
    const r = recorder((items) =>
      items.includes('bad')
        ? Object.assign(new Error('check violation'), { code: '23514' })
        : undefined,
    );
    const commit = new GroupCommit(r.write, { maxBatch: 10, maxInFlight: 1 });
    const settled = Promise.allSettled(['a', 'bad', 'c'].map((x) => commit.submit(x)));
    for (let i = 0; i < 4; i += 1) await r.openNext();
    const outcomes = await settled;
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r.batches).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('a lost connection fails the whole batch without retrying each item', async () => {
    const r = recorder(() => Object.assign(new Error('terminating connection'), { code: '57P01' }));
    const commit = new GroupCommit(r.write, { maxBatch: 10, maxInFlight: 1 });
    const settled = Promise.allSettled(['a', 'b'].map((x) => commit.submit(x)));
    await r.openNext();
    const outcomes = await settled;
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(r.batches).toHaveLength(1);
  });

  it('retries a batch that hit a deadlock', async () => {
    let deadlocks = 1;
    const r = recorder(() =>
      deadlocks-- > 0 ? Object.assign(new Error('deadlock'), { code: '40P01' }) : undefined,
    );
    const commit = new GroupCommit(r.write, { maxBatch: 10, maxInFlight: 1 });
    const all = ['a', 'b'].map((x) => commit.submit(x));
    await r.openNext();
    await r.openNext();
    await expect(Promise.all(all)).resolves.toEqual(['A', 'B']);
    expect(r.batches).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });
});
