import { REFERRAL_KINDS } from '../../apps/web/src/api/types';
import { en } from '../../apps/web/src/i18n/messages.en';
import { ru } from '../../apps/web/src/i18n/messages.ru';
import { emptyDraft, toRequest, type Draft } from '../../apps/web/src/screens/intake/draft';

describe('referrals in the intake request', () => {
  const now = new Date('2026-12-05T10:00:00Z');
  const shelter = {
    id: '0b7e1f3c-8d2a-4c55-9e1a-2f6b8c9d0e11',
    name: 'Радуга',
    kind: 'shelter' as const,
  };

  it('a referral travels with the outcome referred, and only with it', () => {
    const referred: Draft = {
      ...emptyDraft(now, 'RU-SPE'),
      outcome: 'referred',
      outcomeEdited: true,
      referrals: [shelter],
    };
    expect(toRequest(referred, now).referralIds).toEqual([shelter.id]);
    // Picked, then the outcome changed: the request carries no referral.
    expect(toRequest({ ...referred, outcome: 'information_given' }, now)).not.toHaveProperty(
      'referralIds',
    );
    // None picked: nothing sent, not an empty list.
    expect(toRequest({ ...referred, referrals: [] }, now)).not.toHaveProperty('referralIds');
  });

  it('a draft kept before referrals existed still makes a request', () => {
    const { referrals: _none, ...old } = { ...emptyDraft(now, 'RU-SPE'), outcome: 'referred' };
    expect(toRequest(old as Draft, now)).not.toHaveProperty('referralIds');
  });

  it('every kind of entry has a name in both languages', () => {
    for (const kind of REFERRAL_KINDS)
      for (const messages of [ru, en] as Array<Record<string, unknown>>)
        expect(typeof messages[`referrals.kind.${kind}`]).toBe('string');
  });
});
