import { aggregateReleased, protectMonthTotals, sumReleased } from './release-hierarchy';

describe('periods released as sums of released periods', () => {
  it('a sum with a suppressed part is suppressed', () => {
    expect(sumReleased([12, 30, 0])).toBe(42);
    expect(sumReleased([12, null, 30])).toBeNull();
  });

  it("a week straddling two months adds up its days from both months' tables", () => {
    const weeks = aggregateReleased(
      'week',
      [
        { period: '2026-08-31', key: [], count: 12 },
        { period: '2026-09-01', key: [], count: 20 },
        { period: '2026-09-07', key: [], count: null },
      ],
      (d) => d,
    );
    expect(weeks).toEqual([
      { period: '2026-W36', key: [], count: 32 },
      { period: '2026-W37', key: [], count: null },
    ]);
  });
});

describe("a month's plain totals", () => {
  const days = [
    { day: '2026-09-01', count: 40 },
    { day: '2026-09-02', count: 3 },
    { day: '2026-09-03', count: 25 },
  ];

  it('hide a small day and a complement, so the month total does not give it away', () => {
    const totals = protectMonthTotals(days, 12, 10);
    expect(totals.total).toBe(68);
    expect(totals.days.get('2026-09-02')).toBeNull();
    expect([...totals.days.values()].filter((c) => c === null)).toHaveLength(2);
    expect(totals.excluded).toBe(12);
  });

  it('hide the total and the largest day when the contacts left out are between 1 and k − 1', () => {
    const totals = protectMonthTotals(days, 4, 10);
    expect(totals).toMatchObject({ total: null, excluded: null });
    expect(totals.days.get('2026-09-01')).toBeNull();
  });

  it('suppress the count left out with a total suppressed for its days, even a count of 0', () => {
    const totals = protectMonthTotals([{ day: '2026-09-01', count: 4 }], 0, 10);
    expect(totals).toMatchObject({ total: null, excluded: null });
  });
});
