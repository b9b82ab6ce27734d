import { effectiveScopes, Service, SERVICES, serviceScope } from './scopes';

/** What the consent given on one earlier contact still says, as the history sees it. */
export interface EarlierContactConsent {
  /** The scopes the caller agreed to on that contact. */
  readonly scopes: readonly string[];
  /** The scopes withdrawn since. */
  readonly withdrawnScopes: readonly string[];
  /** Whether the contact's summary and pseudonym were erased (withdrawal, retention). */
  readonly erased: boolean;
  /** The services the contact asked for. */
  readonly services: readonly string[];
}

export type EarlierContactDecision =
  { visible: true; services: Service[] } | { visible: false; reason: 'consent' };

/**
 * Whether a volunteer on a call with a caller may see one of the caller's earlier contacts
 * (its day, services and outcome; never its summary, topics or profile), decided by what the
 * caller consented to on it: a contact with no consent left in force, or whose content was
 * erased, is not shown (it is counted as hidden, so that the volunteer knows there is more
 * than the list); of its services only those the caller's consent still covers are named (a
 * service whose consent was withdrawn or never given is not the volunteer's to know).
 */
export function decideEarlierContact(consent: EarlierContactConsent): EarlierContactDecision {
  const inForce = effectiveScopes(consent.scopes, consent.withdrawnScopes);
  if (consent.erased || inForce.length === 0) return { visible: false, reason: 'consent' };
  return {
    visible: true,
    services: SERVICES.filter(
      (s) => consent.services.includes(s) && inForce.includes(serviceScope(s)),
    ),
  };
}
