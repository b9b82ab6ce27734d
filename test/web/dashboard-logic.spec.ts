import type { MyContact, StatsResponse } from '../../apps/web/src/api/types';
import { ru } from '../../apps/web/src/i18n/messages.ru';
import { formatMessage } from '../../apps/web/src/i18n/format';
import { timelineText } from '../../apps/web/src/screens/cases/case-words';
import {
  axisTicks,
  breakdown,
  defaultBreakdownPeriod,
  periodLabel,
  periodsOf,
  sortedEntries,
  statsQuery,
} from '../../apps/web/src/screens/coordinator/stats';
import { clock } from '../../apps/web/src/screens/emergencies/clock';
import { escalatable } from '../../apps/web/src/screens/intake/escalation';

/** The work screens' rules that need no browser. */
describe('statistics dashboard arithmetic', () => {
  const filters = {
    from: '2026-01-01',
    to: '2026-03-31',
    period: 'month' as const,
    service: null,
    measure: 'contacts' as const,
    dimension: 'region',
  };

  const answer = (overrides: Partial<StatsResponse> = {}): StatsResponse => ({
    k: 10,
    period: 'month',
    measure: 'contacts',
    groupBy: ['region', 'topic'],
    from: '2026-01-01',
    to: '2026-03-31',
    timeZone: 'Europe/Moscow',
    excludedWithoutConsent: 0,
    withheldPeriods: [],
    rows: [
      { period: '2026-02', region: 'RU-SPE', topic: 'detention', count: 12 },
      { period: '2026-02', region: 'RU-SPE', topic: 'violence', count: null, suppressed: true },
      { period: '2026-02', region: 'RU-CE', topic: 'violence', count: null, suppressed: true },
      { period: '2026-03', region: 'RU-MOW', topic: 'family', count: 20 },
    ],
    ...overrides,
  });

  it('asks for plain counts without a breakdown, and for the breakdown and CSV by name', () => {
    expect(statsQuery(filters)).toBe('/api/stats?from=2026-01-01&to=2026-03-31&period=month');
    expect(statsQuery({ ...filters, service: 'legal' }, ['region', 'topic'], 'csv')).toBe(
      '/api/stats?from=2026-01-01&to=2026-03-31&period=month&groupBy=region%2Ctopic&service=legal&format=csv',
    );
  });

  it('asks for breakdowns and service filters by month when the chosen period is a day or a week', () => {
    const daily = { ...filters, period: 'day' as const };
    expect(statsQuery(daily)).toBe('/api/stats?from=2026-01-01&to=2026-03-31&period=day');
    expect(statsQuery(daily, ['region', 'topic'])).toBe(
      '/api/stats?from=2026-01-01&to=2026-03-31&period=month&groupBy=region%2Ctopic',
    );
    expect(statsQuery({ ...filters, period: 'week', service: 'legal' })).toBe(
      '/api/stats?from=2026-01-01&to=2026-03-31&period=month&service=legal',
    );
  });

  it('shows the published cells of a period as they are, a withheld one as withheld', () => {
    const cells = breakdown(answer(), '2026-02', ['region', 'topic']);
    expect(cells.get('RU-SPE|detention')).toEqual({ kind: 'count', count: 12 });
    expect(cells.get('RU-CE|violence')).toEqual({ kind: 'suppressed' });
    expect(cells.has('RU-MOW|family')).toBe(false);
  });

  it('a coarser breakdown is the sum of the cells, only "at least" what was published over withheld ones', () => {
    const regions = breakdown(answer(), '2026-02', ['region']);
    expect(regions.size).toBe(2);
  });

  it('a sum over withheld cells is only "at least" what was published', () => {
    const regions = breakdown(answer(), '2026-02', ['region']);
    expect(regions.get('RU-SPE')).toEqual({ kind: 'atLeast', count: 12 });
    expect(regions.get('RU-CE')).toEqual({ kind: 'suppressed' });
  });

  it('sorts biggest first and withheld values last', () => {
    const sorted = sortedEntries(breakdown(answer(), '2026-02', ['region', 'topic']));
    expect(sorted.map(([key]) => key)).toEqual([
      'RU-SPE|detention',
      'RU-CE|violence',
      'RU-SPE|violence',
    ]);
  });

  it('lists the periods present, in order', () => {
    expect(periodsOf(answer())).toEqual(['2026-02', '2026-03']);
    expect(periodsOf(undefined)).toEqual([]);
  });

  it('axis ticks are round numbers that reach the maximum', () => {
    expect(axisTicks(12)).toEqual([0, 5, 10, 15]);
    expect(axisTicks(95)).toEqual([0, 25, 50, 75, 100]);
    expect(axisTicks(3)).toEqual([0, 1, 2, 3]);
    expect(axisTicks(2)).toEqual([0, 1, 2]);
    expect(axisTicks(0)).toEqual([0, 1]);
  });

  it('names months, quarters, weeks and days in the reader’s language, dates as it writes them', () => {
    const words = { quarter: (q: number, year: number) => `Q${q} ${year}` };
    expect(periodLabel('2026-10', 'en', words)).toBe('October 2026');
    expect(periodLabel('2026-10', 'ru', words)).toBe('октябрь 2026 г.');
    expect(periodLabel('2026-Q4', 'en', words)).toBe('Q4 2026 (01/10–31/12/2026)');
    expect(periodLabel('2026-Q4', 'ru', words)).toBe('Q4 2026 (01.10–31.12.2026)');
    expect(periodLabel('2026-W49', 'ru', words)).toBe('пн 30.11–вс 06.12.2026');
    expect(periodLabel('2026-W49', 'en', words)).toBe('Mon 30/11–Sun 06/12/2026');
    expect(periodLabel('2026-10-05', 'ru', words)).toBe('пн 05.10.2026');
    expect(periodLabel('2026-10-05', 'en', words)).toBe('Mon 05/10/2026');
    expect(periodLabel('whatever', 'en', words)).toBe('whatever');
  });

  it('opens the breakdown on the last period the range holds whole, or today’s when the range runs to today', () => {
    const months = ['2026-10', '2026-11', '2026-12'];
    // By week on Monday 7 December: the last complete week ends on the 6th, in a December
    // not over yet; the breakdown (by month) opens on November, not on a partial December.
    expect(defaultBreakdownPeriod(months, '2026-12-06', '2026-12-07')).toBe('2026-11');
    // Any day later in the month, likewise.
    expect(defaultBreakdownPeriod(months, '2026-12-13', '2026-12-16')).toBe('2026-11');
    // A range typed to today asks for today's month, partial as it is.
    expect(defaultBreakdownPeriod(months, '2026-12-07', '2026-12-07')).toBe('2026-12');
    // Whole months: the last.
    expect(defaultBreakdownPeriod(months.slice(0, 2), '2026-11-30', '2026-12-07')).toBe('2026-11');
    // None held whole: the last there is; none at all: none.
    expect(defaultBreakdownPeriod(['2026-12'], '2026-12-06', '2026-12-07')).toBe('2026-12');
    expect(defaultBreakdownPeriod([], '2026-12-06', '2026-12-07')).toBeNull();
  });
});

describe('emergency countdown and escalation', () => {
  it('writes the time left as m:ss, or h:mm:ss past an hour', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(65)).toBe('1:05');
    expect(clock(600)).toBe('10:00');
    expect(clock(3723)).toBe('1:02:03');
    expect(clock(-12)).toBe('0:12');
  });

  const contact = (cases: MyContact['cases']): MyContact => ({
    id: 'c',
    callerId: 'caller',
    channel: 'phone',
    startedAt: '2026-11-21T10:00:00Z',
    durationSeconds: 60,
    region: 'RU-MOW',
    caller: { pseudonym: null, ageBand: null, genderIdentity: null, orientation: null },
    topics: [],
    immediateRisk: false,
    summary: null,
    outcome: 'referred',
    services: [],
    referralIds: [],
    caseIds: cases.map((c) => c.id),
    cases,
    createdAt: '2026-11-21T10:01:00Z',
    erased: [],
  });

  it('offers to escalate an open legal or psychological case, once', () => {
    expect(escalatable(contact([{ id: 'l', service: 'legal', status: 'assigned' }]))?.id).toBe('l');
    expect(escalatable(contact([{ id: 'l', service: 'legal', status: 'closed' }]))).toBeUndefined();
    expect(escalatable(contact([]))).toBeUndefined();
    // An emergency already open for the contact: nothing more to escalate.
    expect(
      escalatable(
        contact([
          { id: 'e', service: 'emergency', status: 'queued' },
          { id: 'p', service: 'psych', status: 'queued' },
        ]),
      ),
    ).toBeUndefined();
  });
});

describe('case timeline in words', () => {
  const t = (key: keyof typeof ru, params?: Record<string, string | number>) =>
    formatMessage(ru[key], params, 'ru-RU');
  const label = (_kind: string, code: string) => `«${code}»`;
  const entry = (type: string, detail: Record<string, unknown> = {}) => ({
    at: '2026-11-21T10:00:00Z',
    type,
    actorId: null,
    detail,
  });

  it('says who was paged, and an outcome or withdrawn scope by its name, never more', () => {
    expect(timelineText(t, label, entry('paged', { tier: 1, round: 1, recipients: 2 }))).toBe(
      'Вызван уровень 1: 2 человека',
    );
    expect(timelineText(t, label, entry('paged', { tier: 2, recipients: 0 }))).toBe(
      'Уровень 2: на дежурстве никого нет',
    );
    expect(timelineText(t, label, entry('closed', { outcome: 'resolved' }))).toBe(
      'Закрыта: «resolved»',
    );
    expect(timelineText(t, label, entry('withdrawn', { scopes: 'service:legal,statistics' }))).toBe(
      'Согласие отозвано: «service:legal», «statistics»',
    );
    expect(timelineText(t, label, entry('something_new'))).toBe('something_new');
  });
});
