import type { MyContact } from '../../api/types';
import { CONSENT_SCOPES, type ConsentScope } from '../../i18n/consent-script';
import type { MessageKey } from '../../i18n/messages.ru';

/** The contact just saved, as the save answered it: whose it is, how often they called before. */
export interface JustSaved {
  contactId: string;
  callerId: string | null;
  previousContacts: number;
}

/**
 * What a volunteer's withdrawal for one caller will reach, as far as the volunteer's screen
 * can tell before asking the server (which decides again, and whose receipt is the answer).
 */
export interface WithdrawalPlan {
  callerId: string;
  /**
   * This volunteer's contacts with the caller that "my contacts today" lists: logged by them
   * within their window, the very contacts the server withdraws from at once.
   */
  mine: MyContact[];
  /**
   * How many more contacts the caller has (logged by someone else, or earlier): their part
   * waits for a coordinator. Known only for the caller of the contact just saved, from the
   * save's repeat-caller count; undefined otherwise.
   */
  others: number | undefined;
}

export function withdrawalPlan(
  contacts: readonly MyContact[],
  callerId: string,
  justSaved: JustSaved | null,
): WithdrawalPlan {
  const mine = contacts.filter((c) => c.callerId === callerId);
  // The save counted every earlier contact of the caller, this volunteer's own of today too.
  const same = justSaved?.callerId === callerId ? justSaved : null;
  const saved = same && mine.some((c) => c.id === same.contactId) ? same : null;
  return {
    callerId,
    mine,
    others: saved ? Math.max(0, saved.previousContacts + 1 - mine.length) : undefined,
  };
}

/** Scope codes in the order the consent script reads them; unknown codes are dropped. */
export function inScriptOrder(scopes: Iterable<string>): ConsentScope[] {
  const given = new Set<string>(scopes);
  return CONSENT_SCOPES.filter((scope) => given.has(scope));
}

/** What a scope covers, and what withdrawing it destroys (libs/consent WithdrawalEffects). */
export const SCOPE_COVERS: Readonly<Record<ConsentScope, MessageKey>> = {
  'service:legal': 'withdraw.scope.service:legal',
  'service:psych': 'withdraw.scope.service:psych',
  'service:emergency': 'withdraw.scope.service:emergency',
  contact_back: 'withdraw.scope.contact_back',
  statistics: 'withdraw.scope.statistics',
};

/** The same, said as what happens at once: one line of the confirmation each. */
export const SCOPE_EFFECT: Readonly<Record<ConsentScope, MessageKey>> = {
  'service:legal': 'withdraw.effect.service:legal',
  'service:psych': 'withdraw.effect.service:psych',
  'service:emergency': 'withdraw.effect.service:emergency',
  contact_back: 'withdraw.effect.contact_back',
  statistics: 'withdraw.effect.statistics',
};

export const isServiceScope = (scope: ConsentScope): boolean => scope.startsWith('service:');
