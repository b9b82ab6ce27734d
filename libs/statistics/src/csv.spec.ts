import { toCsv } from './csv';

describe('CSV export', () => {
  it('marks suppressed cells and neutralises spreadsheet formulas', () => {
    const csv = toCsv({
      k: 10,
      period: 'month',
      measure: 'contacts',
      groupBy: ['region', 'topic'],
      from: '2026-10-01',
      to: '2026-10-31',
      excludedWithoutConsent: 0,
      timeZone: 'Europe/Moscow',
      withheldPeriods: [],
      rows: [
        { period: '2026-10', region: 'RU-SPE', topic: 'detention', count: 42 },
        { period: '2026-10', region: 'RU-CE', topic: 'violence', count: null, suppressed: true },
        { period: '2026-10', region: '=HYPERLINK("x")', topic: 'other', count: 12 },
      ],
    });
    expect(csv.split('\r\n')).toEqual([
      'period,region,topic,count,suppressed',
      '2026-10,RU-SPE,detention,42,false',
      '2026-10,RU-CE,violence,<10,true',
      `2026-10,"'=HYPERLINK(""x"")",other,12,false`,
      '',
    ]);
  });
});
