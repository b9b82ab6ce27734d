import type { StatsResponse } from '../../apps/web/src/api/types';
import {
  DATE_DISPLAY,
  DATE_TIME_DISPLAY,
  dateInZone,
  formatDate,
  formatDateTime,
  parseDate,
  parseDateTime,
  parseTime,
  TIME_DISPLAY,
  timeZoneName,
} from '../../apps/web/src/i18n/dates';
import { en } from '../../apps/web/src/i18n/messages.en';
import { ru } from '../../apps/web/src/i18n/messages.ru';
import {
  change,
  compareBreakdown,
  csvWithNames,
  defaultFilters,
  defaultRange,
  isPartial,
  periodBounds,
  periodsBetween,
  previousLabel,
  statsQuery,
} from '../../apps/web/src/screens/coordinator/stats';

/** Dates typed and read in the user's language (issue 13, point 7), without a browser. */
describe('dates in the user’s language', () => {
  it('writes a date as DD.MM.YYYY in Russian and DD/MM/YYYY in English', () => {
    expect(formatDate('2026-12-05', 'ru')).toBe('05.12.2026');
    expect(formatDate('2026-12-05', 'en')).toBe('05/12/2026');
    expect(formatDateTime('2026-12-05T09:05', 'ru')).toBe('05.12.2026 09:05');
    expect(formatDateTime('2026-12-05T21:30', 'en')).toBe('05/12/2026 21:30');
  });

  it('reads a typed date day first, with a short day or month, and an ISO date as itself', () => {
    expect(parseDate('05.12.2026')).toBe('2026-12-05');
    expect(parseDate(' 5.1.2026 ')).toBe('2026-01-05');
    expect(parseDate('05/12/2026')).toBe('2026-12-05');
    expect(parseDate('05-12-2026')).toBe('2026-12-05');
    expect(parseDate('2026-12-05')).toBe('2026-12-05');
    // Day first always: 12/05 is the 12th of May, never 5 December.
    expect(parseDate('12/05/2026')).toBe('2026-05-12');
  });

  it('refuses what is not a calendar day', () => {
    for (const text of [
      '',
      '31.02.2026',
      '00.12.2026',
      '05.13.2026',
      '05.12.26',
      '5 dec 2026',
      '12/31/2026',
    ])
      expect([text, parseDate(text)]).toEqual([text, null]);
    expect(parseDate('29.02.2028')).toBe('2028-02-29');
    expect(parseDate('29.02.2027')).toBeNull();
  });

  it('reads a 24-hour time and a date with a time, never AM/PM', () => {
    expect(parseTime('9:05')).toBe('09:05');
    expect(parseTime('23.59')).toBe('23:59');
    expect(parseTime('0930')).toBe('09:30');
    expect(parseTime('24:00')).toBeNull();
    expect(parseTime('9:60')).toBeNull();
    expect(parseTime('9:05 PM')).toBeNull();
    expect(parseDateTime('05.12.2026 09:05')).toBe('2026-12-05T09:05');
    expect(parseDateTime('05/12/2026 21:30')).toBe('2026-12-05T21:30');
    expect(parseDateTime('2026-12-05T21:30')).toBe('2026-12-05T21:30');
    expect(parseDateTime('05.12.2026')).toBeNull();
    expect(parseDateTime('31.11.2026 10:00')).toBeNull();
  });

  it('finds the calendar day of an instant in a zone, and names the zone with its offset', () => {
    // 21:30 UTC on 4 December is already 5 December in Moscow (UTC+3).
    const instant = Date.UTC(2026, 11, 4, 21, 30);
    expect(dateInZone(instant, 'Europe/Moscow')).toEqual({ date: '2026-12-05', time: '00:30' });
    expect(dateInZone(instant, 'UTC')).toEqual({ date: '2026-12-04', time: '21:30' });
    expect(timeZoneName('Europe/Moscow', 'en-GB', instant)).toEqual({
      name: 'Moscow time',
      offset: 'UTC+3',
    });
    expect(timeZoneName('Europe/Moscow', 'ru-RU', instant)).toEqual({
      name: 'московское время',
      offset: 'UTC+3',
    });
    expect(timeZoneName('Asia/Yekaterinburg', 'en-GB', instant).offset).toBe('UTC+5');
    expect(timeZoneName('UTC', 'en-GB', instant).offset).toBe('UTC+0');
  });

  it('shows dates and times across the app the way the fields take them, 24-hour', () => {
    const at = new Date(Date.UTC(2026, 11, 5, 18, 5));
    const show = (locale: string, options: Intl.DateTimeFormatOptions) =>
      new Intl.DateTimeFormat(locale, { ...options, timeZone: 'Europe/Moscow' }).format(at);
    expect(show('ru-RU', DATE_DISPLAY)).toBe('05.12.2026');
    expect(show('en-GB', DATE_DISPLAY)).toBe('05/12/2026');
    expect(show('ru-RU', DATE_TIME_DISPLAY)).toBe('05.12.2026, 21:05');
    expect(show('en-GB', DATE_TIME_DISPLAY)).toBe('05/12/2026, 21:05');
    expect(show('en-GB', TIME_DISPLAY)).toBe('21:05');
  });

  it('has the date field’s words in both languages', () => {
    for (const key of [
      'dateField.dateHint',
      'dateField.notADate',
      'dateField.notADateTime',
    ] as const) {
      expect(ru[key]).toEqual(expect.stringContaining('{pattern}'));
      expect(en[key]).toEqual(expect.stringContaining('{pattern}'));
    }
  });
});

describe('statistics periods: the last complete one by default, the partial one marked', () => {
  // Saturday 5 December 2026.
  const today = '2026-12-05';

  it('defaults to complete periods only, ending with the one before today’s', () => {
    expect(defaultRange('month', today)).toEqual({ from: '2026-06-01', to: '2026-11-30' });
    expect(defaultRange('week', today)).toEqual({ from: '2026-10-05', to: '2026-11-29' });
    expect(defaultRange('day', today)).toEqual({ from: '2026-11-21', to: '2026-12-04' });
    expect(defaultRange('quarter', today)).toEqual({ from: '2025-10-01', to: '2026-09-30' });
    expect(defaultRange('month', '2026-01-01')).toEqual({ from: '2025-07-01', to: '2025-12-31' });
    expect(defaultFilters(today)).toMatchObject({
      period: 'month',
      from: '2026-06-01',
      to: '2026-11-30',
    });
  });

  it('knows the days of each period label, and which are not over yet', () => {
    expect(periodBounds('2026-W49')).toEqual({
      period: 'week',
      start: '2026-11-30',
      end: '2026-12-06',
    });
    expect(periodBounds('2026-W01')).toEqual({
      period: 'week',
      start: '2025-12-29',
      end: '2026-01-04',
    });
    expect(periodBounds('2026-02')).toEqual({
      period: 'month',
      start: '2026-02-01',
      end: '2026-02-28',
    });
    expect(periodBounds('2026-Q4')).toEqual({
      period: 'quarter',
      start: '2026-10-01',
      end: '2026-12-31',
    });
    expect(periodBounds('x')).toBeNull();
    expect(isPartial('2026-12', today)).toBe(true);
    expect(isPartial('2026-W49', today)).toBe(true);
    expect(isPartial('2026-12-05', today)).toBe(true);
    expect(isPartial('2026-11', today)).toBe(false);
    expect(isPartial('2026-W48', today)).toBe(false);
    expect(isPartial('2026-12-04', today)).toBe(false);
  });

  it('lists every period a range touches, the empty ones too', () => {
    expect(periodsBetween('month', '2026-09-15', '2026-11-30')).toEqual([
      '2026-09',
      '2026-10',
      '2026-11',
    ]);
    expect(periodsBetween('week', '2025-12-31', '2026-01-12')).toEqual([
      '2026-W01',
      '2026-W02',
      '2026-W03',
    ]);
    expect(periodsBetween('quarter', '2026-01-01', '2026-04-01')).toEqual(['2026-Q1', '2026-Q2']);
    expect(periodsBetween('day', '2026-02-27', '2026-03-01')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
    ]);
  });

  it('the period before is the one of the same length just before', () => {
    expect(previousLabel('2026-11')).toBe('2026-10');
    expect(previousLabel('2026-01')).toBe('2025-12');
    expect(previousLabel('2026-Q1')).toBe('2025-Q4');
    expect(previousLabel('2026-W01')).toBe('2025-W52');
    expect(previousLabel('2026-W49')).toBe('2026-W48');
    expect(previousLabel('2026-03-01')).toBe('2026-02-28');
  });

  it('asks from the period before the first, so that the first is compared too', () => {
    const filters = { ...defaultFilters(today), dimension: 'channel' };
    expect(statsQuery(filters, ['channel'], undefined, { withPrevious: true })).toBe(
      '/api/stats?from=2026-05-01&to=2026-11-30&period=month&groupBy=channel',
    );
    expect(statsQuery({ ...filters, measure: 'cases' }, ['status'], 'csv')).toBe(
      '/api/stats?from=2026-06-01&to=2026-11-30&period=month&groupBy=status&measure=cases&format=csv',
    );
  });
});

describe('comparison with the period before, from published counts only', () => {
  const answer: StatsResponse = {
    k: 10,
    period: 'month',
    measure: 'contacts',
    groupBy: ['region'],
    from: '2026-10-01',
    to: '2026-11-30',
    timeZone: 'Europe/Moscow',
    rows: [
      { period: '2026-10', region: 'RU-SPE', count: 20 },
      { period: '2026-10', region: 'RU-MOW', count: 11 },
      { period: '2026-10', region: 'RU-CE', count: null, suppressed: true },
      { period: '2026-11', region: 'RU-SPE', count: 25 },
      { period: '2026-11', region: 'RU-CE', count: null, suppressed: true },
      { period: '2026-11', region: 'RU-KDA', count: 12 },
    ],
    excludedWithoutConsent: 0,
    withheldPeriods: [],
  };

  it('puts each value beside its value before, with the change between published counts', () => {
    const rows = compareBreakdown(answer, '2026-11', '2026-10', 'region');
    expect(rows.map((r) => [r.key, r.current, r.previous, r.change])).toEqual([
      [
        'RU-SPE',
        { kind: 'count', count: 25 },
        { kind: 'count', count: 20 },
        { kind: 'change', delta: 5, percent: 25 },
      ],
      [
        'RU-KDA',
        { kind: 'count', count: 12 },
        { kind: 'count', count: 0 },
        { kind: 'change', delta: 12, percent: null },
      ],
      [
        'RU-MOW',
        { kind: 'count', count: 0 },
        { kind: 'count', count: 11 },
        { kind: 'change', delta: -11, percent: -100 },
      ],
      // Withheld in both: shown as withheld, and no change is worked out.
      ['RU-CE', { kind: 'suppressed' }, { kind: 'suppressed' }, { kind: 'unknown' }],
    ]);
  });

  it('a period withheld whole is withheld for every value, never read as zeros', () => {
    const rows = compareBreakdown(
      { ...answer, withheldPeriods: ['2026-10'] },
      '2026-11',
      '2026-10',
      'region',
    );
    expect(rows.every((r) => r.previous.kind === 'suppressed' && r.change.kind === 'unknown')).toBe(
      true,
    );
  });

  it('a change needs two published counts', () => {
    expect(change({ kind: 'count', count: 3 }, { kind: 'suppressed' })).toEqual({
      kind: 'unknown',
    });
    expect(change({ kind: 'atLeast', count: 30 }, { kind: 'count', count: 10 })).toEqual({
      kind: 'unknown',
    });
    expect(change({ kind: 'count', count: 15 }, { kind: 'count', count: 20 })).toEqual({
      kind: 'change',
      delta: -5,
      percent: -25,
    });
  });
});

describe('CSV with names beside the codes', () => {
  it('adds a <dimension>_name column after each code column, the codes untouched', () => {
    const served =
      'period,region,count,suppressed\r\n2026-11,RU-CE,<10,true\r\n2026-11,RU-SPE,25,false\r\n';
    const names: Record<string, string> = { 'RU-CE': 'Чечня', 'RU-SPE': 'Санкт-Петербург, город' };
    expect(csvWithNames(served, ['region'], (_d, code) => names[code] ?? code)).toBe(
      'period,region,region_name,count,suppressed\r\n' +
        '2026-11,RU-CE,Чечня,<10,true\r\n' +
        '2026-11,RU-SPE,"Санкт-Петербург, город",25,false\r\n',
    );
  });

  it('keeps quoted fields and defuses a name that looks like a formula', () => {
    const served = 'period,topic,count,suppressed\r\n"2026-11",other,12,false\r\n';
    expect(csvWithNames(served, ['topic'], () => '=HYPERLINK("x")')).toBe(
      'period,topic,topic_name,count,suppressed\r\n2026-11,other,"\'=HYPERLINK(""x"")",12,false\r\n',
    );
  });
});
