import { LinearBounds } from './linear-bounds';

describe('the linear attacker used to audit statistics', () => {
  it('pins a value that a difference of two releases gives away', async () => {
    // x0 + x1 = 15, x0 = 12: x1 is 3.
    const lp = new LinearBounds(2);
    lp.constrain([0, 1], 15, 15);
    lp.constrain([0], 12, 12);
    expect(await lp.bounds([1])).toEqual({ min: 3, max: 3 });
  });

  it('leaves a range where two hidden values share one released total', async () => {
    const lp = new LinearBounds(3);
    lp.constrain([0, 1, 2], 40, 40);
    lp.constrain([0], 25, 25);
    lp.constrain([1], 1, Infinity);
    lp.constrain([2], 1, 9);
    const x1 = await lp.bounds([1]);
    expect([x1.min, x1.max]).toEqual([6, 14]);
    const x2 = await lp.bounds([2]);
    expect([x2.min, x2.max]).toEqual([1, 9]);
  });

  it('refuses releases that contradict each other', async () => {
    const lp = new LinearBounds(1);
    lp.constrain([0], 3, 3);
    lp.constrain([0], 5, 5);
    await expect(lp.bounds([0])).rejects.toThrow(/contradict/);
  });

  it('is an integer attacker: a range the relaxation leaves open may hold one whole number', async () => {
    // 2·x0 = x1 + x2 is not expressible here; instead: x0 + x1 = 3, x0 + x2 = 4, x1 + x2 = 3.
    // Over the reals x0 = 2, x1 = 1, x2 = 2 exactly anyway; add freedom: x3 in [0.2, 0.8].
    const lp = new LinearBounds(4);
    lp.constrain([0, 1], 3, 3);
    lp.constrain([0, 2], 4, 4);
    lp.constrain([1, 2], 3, 3);
    lp.constrain([3], 0.2, 0.8);
    await expect(lp.bounds([3])).rejects.toThrow(/contradict/);
    const open = new LinearBounds(2);
    // x0 + x1 in [1, 1.5] and x0 in [0.5, 1]: over the whole numbers x0 = 1, x1 = 0.
    open.constrain([0, 1], 1, 1.5);
    open.constrain([0], 0.5, 1);
    expect(await open.bounds([1])).toEqual({ min: 0, max: 0 });
    expect(await open.bounds([0])).toEqual({ min: 1, max: 1 });
  });
});
