import type { MyContact } from '../../apps/web/src/api/types';
import { CONSENT_SCOPES } from '../../apps/web/src/i18n/consent-script';
import { en } from '../../apps/web/src/i18n/messages.en';
import { ru } from '../../apps/web/src/i18n/messages.ru';
import {
  inScriptOrder,
  SCOPE_COVERS,
  SCOPE_EFFECT,
  withdrawalPlan,
} from '../../apps/web/src/screens/intake/consent-withdrawal';

/** The volunteer's withdrawal dialog's rules that need no browser. */
describe('a volunteer’s consent withdrawal, before it is sent', () => {
  const contact = (id: string, callerId: string): MyContact => ({
    id,
    callerId,
    channel: 'phone',
    startedAt: '2026-12-04T10:00:00Z',
    durationSeconds: 60,
    region: 'RU-MOW',
    caller: { pseudonym: null, ageBand: null, genderIdentity: null, orientation: null },
    topics: [],
    immediateRisk: false,
    summary: null,
    outcome: 'referred',
    services: [],
    referralIds: [],
    caseIds: [],
    cases: [],
    createdAt: '2026-12-04T10:01:00Z',
    erased: [],
  });
  const today = [
    contact('new', 'caller-a'),
    contact('other-caller', 'caller-b'),
    contact('this-morning', 'caller-a'),
  ];

  it('what goes at once is every contact this volunteer logged with the caller today', () => {
    const plan = withdrawalPlan(today, 'caller-a', null);
    expect(plan.callerId).toBe('caller-a');
    expect(plan.mine.map((c) => c.id)).toEqual(['new', 'this-morning']);
    // Opened from the list alone, the screen does not know of anyone else's contacts.
    expect(plan.others).toBeUndefined();
  });

  it('just after saving, the repeat-caller count says how many contacts will wait for a coordinator', () => {
    // The save counted 3 earlier contacts, one of them this volunteer's own of this morning.
    const saved = { contactId: 'new', callerId: 'caller-a', previousContacts: 3 };
    expect(withdrawalPlan(today, 'caller-a', saved).others).toBe(2);
    expect(withdrawalPlan(today, 'caller-a', { ...saved, previousContacts: 1 }).others).toBe(0);
    // A count can never go below none.
    expect(withdrawalPlan(today, 'caller-a', { ...saved, previousContacts: 0 }).others).toBe(0);
  });

  it('the count of another caller, or of a contact not in the list, says nothing about this one', () => {
    const saved = { contactId: 'new', callerId: 'caller-a', previousContacts: 3 };
    expect(withdrawalPlan(today, 'caller-b', saved).others).toBeUndefined();
    expect(
      withdrawalPlan(today, 'caller-a', { ...saved, contactId: 'gone' }).others,
    ).toBeUndefined();
  });

  it('scopes are said in the order of the consent script, unknown codes left out', () => {
    expect(inScriptOrder(['statistics', 'made-up', 'service:legal', 'contact_back'])).toEqual([
      'service:legal',
      'contact_back',
      'statistics',
    ]);
  });

  it('every scope says what it covers and what goes, in Russian and in English', () => {
    for (const scope of CONSENT_SCOPES)
      for (const messages of [ru, en]) {
        expect(messages[SCOPE_COVERS[scope]]).toEqual(expect.any(String));
        expect(messages[SCOPE_EFFECT[scope]]).toEqual(expect.any(String));
      }
    expect(new Set(CONSENT_SCOPES.map((s) => ru[SCOPE_COVERS[s]])).size).toBe(
      CONSENT_SCOPES.length,
    );
  });
});
