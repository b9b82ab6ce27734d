import { matchChoices } from '../../apps/web/src/components/match';
import { formatMessage } from '../../apps/web/src/i18n/format';
import { ru } from '../../apps/web/src/i18n/messages.ru';
import {
  applyChange,
  emptyDraft,
  problemsOf,
  servicesWithoutConsent,
  toRequest,
} from '../../apps/web/src/screens/intake/draft';
import { parseClock } from '../../apps/web/src/screens/intake/start-time';

/** The intake form's rules that need no browser: plain functions over the draft. */
describe('intake form logic', () => {
  const now = new Date(2026, 10, 21, 0, 10); // 00:10 local time

  it('a typed start time later than now means yesterday (a call logged just past midnight)', () => {
    expect(parseClock('23:40', now)).toEqual(new Date(2026, 10, 20, 23, 40));
    expect(parseClock('0005', now)).toEqual(new Date(2026, 10, 21, 0, 5));
    expect(parseClock('0.11', now)).toEqual(new Date(2026, 10, 21, 0, 11)); // within the slack
    for (const bad of ['24:00', '12:60', 'noon', '', '1:2'])
      expect(parseClock(bad, now)).toBeNull();
  });

  it('the immediate-risk switch asks for emergency help and the outcome follows until edited', () => {
    let draft = emptyDraft(now, 'RU-MOW');
    expect(draft.outcome).toBe('information_given');
    draft = applyChange(draft, { services: ['legal'] });
    expect(draft.outcome).toBe('referred');
    draft = applyChange(draft, { immediateRisk: true });
    expect(draft.services).toEqual(['legal', 'emergency']);
    expect(draft.outcome).toBe('escalated');
    draft = applyChange(draft, { immediateRisk: false });
    expect(draft.services).toEqual(['legal']);
    draft = applyChange(draft, { outcome: 'call_dropped', outcomeEdited: true });
    draft = applyChange(draft, { immediateRisk: true });
    expect(draft.outcome).toBe('call_dropped');
  });

  it('a service without its consent scope is flagged, and blocks saving', () => {
    const draft = applyChange(emptyDraft(now, 'RU-SPE'), {
      services: ['legal', 'psych'],
      scopes: ['service:psych', 'statistics'],
    });
    expect(servicesWithoutConsent(draft)).toEqual(['legal']);
    expect(problemsOf(draft, now)).toEqual(['consent']);
    expect(
      problemsOf(applyChange(draft, { scopes: [...draft.scopes, 'service:legal'] }), now),
    ).toEqual([]);
    expect(problemsOf(emptyDraft(now, ''), now)).toEqual(['region']);
  });

  it('the request leaves out what was not asked, counts the duration, and versions the consent', () => {
    const draft = applyChange(emptyDraft(now, 'RU-KDA'), {
      startedAt: '23:58',
      topics: ['police'],
      ageBand: '18-24',
      summary: '  ',
    });
    const request = toRequest(draft, now);
    expect(request).toEqual({
      channel: 'phone',
      startedAt: new Date(2026, 10, 20, 23, 58).toISOString(),
      durationSeconds: 12 * 60,
      region: 'RU-KDA',
      caller: { ageBand: '18-24' },
      topics: ['police'],
      immediateRisk: false,
      outcome: 'information_given',
      consent: { scopes: [], textVersion: '2026-01', retentionDays: 365 },
      services: [],
    });
    const withContactBack = toRequest(
      applyChange(draft, {
        durationMinutes: '7',
        scopes: ['contact_back'],
        contactBackChannel: 'messenger',
        contactBackSafeTimes: ' weekdays after 19 ',
      }),
      now,
    );
    expect(withContactBack.durationSeconds).toBe(420);
    expect(withContactBack.consent.contactBack).toEqual({
      channel: 'messenger',
      safeTimes: 'weekdays after 19',
    });
  });

  it('Russian plurals take the right form', () => {
    const idle = ru['signIn.reason.idle'];
    expect(formatMessage(idle, { count: 1 }, 'ru-RU')).toContain('1 минуты');
    expect(formatMessage(ru['intake.repeat'], { count: 3 }, 'ru-RU')).toContain('3 обращения');
    expect(formatMessage(ru['intake.repeat'], { count: 5 }, 'ru-RU')).toContain('5 обращений');
    expect(formatMessage(ru['intake.repeat'], { count: 21 }, 'ru-RU')).toContain('21 обращение');
    expect(formatMessage(ru['intake.retentionDays'], { count: 365 }, 'ru-RU')).toBe('365 дней');
  });

  it('typing finds a region by its name, a city in it, or its code, ignoring case and ё', () => {
    const regions = [
      { value: 'RU-SVE', label: 'Свердловская область', keywords: ['RU-SVE', 'Екатеринбург'] },
      { value: 'RU-ORL', label: 'Орловская область', keywords: ['RU-ORL', 'Орёл'] },
      { value: 'RU-MOW', label: 'Москва', keywords: ['RU-MOW', 'Мск'] },
    ];
    expect(matchChoices(regions, 'екат')).toEqual([{ ...regions[0], via: 'Екатеринбург' }]);
    expect(matchChoices(regions, 'орел').map((m) => m.value)).toEqual(['RU-ORL']);
    expect(matchChoices(regions, 'ОБЛ').map((m) => m.value)).toEqual(['RU-SVE', 'RU-ORL']);
    expect(matchChoices(regions, 'ru-mow').map((m) => m.value)).toEqual(['RU-MOW']);
    expect(matchChoices(regions, '')).toHaveLength(3);
  });
});
