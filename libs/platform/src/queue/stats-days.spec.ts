import { daysByWeek, daysOfWeek, statsDayOf, statsWeekOf, weekOfDay } from './stats-days';

describe('statsDayOf', () => {
  it('is the calendar day in the statistics time zone, not in UTC', () => {
    // 22:30 UTC is already the next day in Moscow (UTC+3), still the same day in UTC.
    const lateEvening = new Date('2026-10-05T22:30:00Z');
    expect(statsDayOf(lateEvening, 'Europe/Moscow')).toBe('2026-10-06');
    expect(statsDayOf(lateEvening, 'UTC')).toBe('2026-10-05');
    expect(statsDayOf(new Date('2026-01-01T02:00:00Z'), 'America/New_York')).toBe('2025-12-31');
  });
});

describe('weeks', () => {
  it('are the Monday of the day, in the statistics time zone', () => {
    // 2026-12-06 is a Sunday; 2026-12-07 a Monday.
    expect(weekOfDay('2026-12-06')).toBe('2026-11-30');
    expect(weekOfDay('2026-12-07')).toBe('2026-12-07');
    expect(weekOfDay('2027-01-01')).toBe('2026-12-28');
    // Sunday 21:30 UTC is already Monday in Moscow: the next week there, not in UTC.
    const lateSunday = new Date('2026-12-06T21:30:00Z');
    expect(statsWeekOf(lateSunday, 'Europe/Moscow')).toBe('2026-12-07');
    expect(statsWeekOf(lateSunday, 'UTC')).toBe('2026-11-30');
    expect(daysOfWeek('2026-12-28')).toEqual([
      '2026-12-28',
      '2026-12-29',
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
      '2027-01-03',
    ]);
    expect(() => weekOfDay('2026-13-45')).toThrow(RangeError);
  });

  it('group days by whole weeks, so a read of a group reads each week once', () => {
    // Friday 2026-11-27 to Tuesday 2026-12-08: three weeks, partly.
    const days = Array.from({ length: 12 }, (_, i) =>
      new Date(Date.UTC(2026, 10, 27 + i)).toISOString().slice(0, 10),
    );
    expect(daysByWeek(days)).toEqual([days.slice(0, 3), days.slice(3, 10), days.slice(10)]);
    expect(daysByWeek(days, 2)).toEqual([days.slice(0, 10), days.slice(10)]);
    expect(daysByWeek([])).toEqual([]);
  });
});
