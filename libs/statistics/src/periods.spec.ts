import { alignToPeriods, parseDate, periodLabel } from './periods';

describe('fixed, non-overlapping periods', () => {
  it('widens a range to whole calendar days, ISO weeks, months and quarters', () => {
    expect(alignToPeriods('day', '2026-10-05', '2026-10-05')).toEqual({
      start: '2026-10-05',
      end: '2026-10-06',
      count: 1,
    });
    // 2026-10-07 is a Wednesday: its ISO week runs Monday 5th to Sunday 11th.
    expect(alignToPeriods('week', '2026-10-07', '2026-10-07')).toEqual({
      start: '2026-10-05',
      end: '2026-10-12',
      count: 1,
    });
    expect(alignToPeriods('week', '2026-10-05', '2026-10-12')).toEqual({
      start: '2026-10-05',
      end: '2026-10-19',
      count: 2,
    });
    expect(alignToPeriods('month', '2026-10-15', '2026-11-02')).toEqual({
      start: '2026-10-01',
      end: '2026-12-01',
      count: 2,
    });
    expect(alignToPeriods('quarter', '2026-11-15', '2027-01-02')).toEqual({
      start: '2026-10-01',
      end: '2027-04-01',
      count: 2,
    });
  });

  it('two overlapping requests cover the same whole periods, so differencing them isolates nothing', () => {
    const a = alignToPeriods('month', '2026-10-01', '2026-10-20');
    const b = alignToPeriods('month', '2026-10-02', '2026-10-31');
    expect(a).toEqual(b);
  });

  it('refuses dates that do not exist', () => {
    expect(() => parseDate('2026-02-30')).toThrow(RangeError);
    expect(() => parseDate('2026-13-01')).toThrow(RangeError);
    expect(() => parseDate('yesterday')).toThrow(RangeError);
  });

  it('labels periods as PostgreSQL does (to_char IYYY-"W"IW, YYYY-"Q"Q), ISO years included', () => {
    // Each expected label is what PostgreSQL 15 answered for the same day.
    const cases: Array<[string, string, string]> = [
      ['2027-01-01', '2026-W53', '2027-Q1'],
      ['2024-12-30', '2025-W01', '2024-Q4'],
      ['2026-10-07', '2026-W41', '2026-Q4'],
      ['2021-01-03', '2020-W53', '2021-Q1'],
      ['2020-12-31', '2020-W53', '2020-Q4'],
      ['2026-03-31', '2026-W14', '2026-Q1'],
    ];
    for (const [day, week, quarter] of cases)
      expect([periodLabel('week', day), periodLabel('quarter', day)]).toEqual([week, quarter]);
    expect(periodLabel('day', '2026-10-07')).toBe('2026-10-07');
    expect(periodLabel('month', '2026-10-07')).toBe('2026-10');
  });
});
