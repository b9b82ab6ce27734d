import { RequestValidationError } from '../http/validation';
import { StatsQueryPipe } from './stats-query.pipe';

const pipe = new StatsQueryPipe();

/** The fields a query string is refused for, or undefined when it is accepted. */
function refused(raw: Record<string, string>): Record<string, string[]> | undefined {
  try {
    pipe.transform(raw);
    return undefined;
  } catch (error) {
    if (error instanceof RequestValidationError) return error.fields;
    throw error;
  }
}

describe('the dates of a statistics query', () => {
  it('accepts calendar dates of the years statistics cover', () => {
    expect(refused({ from: '2026-01-01', to: '2026-12-31' })).toBeUndefined();
    expect(refused({ from: '2000-01-01', to: '2099-12-31' })).toBeUndefined();
    expect(refused({ from: '2024-02-29', to: '2024-02-29' })).toBeUndefined();
  });

  // Each of these reached date arithmetic that overflowed into a 500 (9999-12-31 + 1 day is
  // not a date PostgreSQL or ISO strings hold), or was read as another day.
  it.each([
    '9999-12-31',
    '0000-01-01',
    '1999-12-31',
    '2100-01-01',
    '2026-02-30',
    '2026-13-01',
    '2026-00-10',
    '2025-02-29',
    '26-01-01',
    '2026-1-1',
    '',
  ])('refuses %p as from and as to, naming the field', (date) => {
    expect(refused({ from: date, to: '2026-12-31' })).toEqual({
      from: [expect.stringMatching(/^from must be a calendar date/)],
    });
    expect(refused({ from: '2026-01-01', to: date })).toEqual({
      to: [expect.stringMatching(/^to must be a calendar date/)],
    });
  });
});

describe('the filters of a statistics query', () => {
  it('takes one value per filter, since two answers differing by one value give it away', () => {
    const dates = { from: '2026-01-01', to: '2026-12-31' };
    expect(refused({ ...dates, region: 'RU-MOW' })).toBeUndefined();
    expect(refused({ ...dates, region: 'RU-MOW,RU-CE' })).toEqual({
      region: ['region takes one value; ask for a breakdown by region to see several'],
    });
    expect(refused({ ...dates, topic: 'detention,violence' })).toEqual({
      topic: [expect.stringMatching(/one value/)],
    });
  });
});
