import { LinearBounds } from './linear-bounds';

describe('the linear attacker used to audit statistics', () => {
  it('pins a value that a difference of two releases gives away', () => {
    // x0 + x1 = 15, x0 = 12: x1 is 3.
    const lp = new LinearBounds(2);
    lp.constrain([0, 1], 15, 15);
    lp.constrain([0], 12, 12);
    expect(lp.bounds([1])).toEqual({ min: 3, max: 3 });
  });

  it('leaves a range where two hidden values share one released total', () => {
    const lp = new LinearBounds(3);
    lp.constrain([0, 1, 2], 40, 40);
    lp.constrain([0], 25, 25);
    lp.constrain([1], 1, Infinity);
    lp.constrain([2], 1, 9);
    const x1 = lp.bounds([1]);
    expect([x1.min, x1.max]).toEqual([6, 14]);
    const x2 = lp.bounds([2]);
    expect([x2.min, x2.max]).toEqual([1, 9]);
  });

  it('refuses releases that contradict each other', () => {
    const lp = new LinearBounds(1);
    lp.constrain([0], 3, 3);
    lp.constrain([0], 5, 5);
    expect(() => lp.bounds([0])).toThrow(/contradict/);
  });
});
