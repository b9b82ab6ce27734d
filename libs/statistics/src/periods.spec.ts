import { alignToPeriods, parseDate } from './periods';

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
});
