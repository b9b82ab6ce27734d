import { statsDayOf } from './stats-days';

describe('statsDayOf', () => {
  it('is the calendar day in the statistics time zone, not in UTC', () => {
    // 22:30 UTC is already the next day in Moscow (UTC+3), still the same day in UTC.
    const lateEvening = new Date('2026-10-05T22:30:00Z');
    expect(statsDayOf(lateEvening, 'Europe/Moscow')).toBe('2026-10-06');
    expect(statsDayOf(lateEvening, 'UTC')).toBe('2026-10-05');
    expect(statsDayOf(new Date('2026-01-01T02:00:00Z'), 'America/New_York')).toBe('2025-12-31');
  });
});
