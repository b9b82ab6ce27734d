import { Actor } from '@mayak/identity';
import { SqlScope } from './case-policy.sql';
import { DenyReason } from './case-policy';

export type ContactAction = 'contact:read' | 'contact:list-mine';

/**
 * A volunteer sees the contacts they logged themselves, and only for a while (24 h by
 * default): after that the record belongs to the services it was logged for, not to them.
 */
export interface ContactFacts {
  readonly volunteerId: string;
  readonly createdAt: Date;
}

/** Whether a contact logged at `loggedAt` is still within its volunteer's window. */
export function withinVolunteerWindow(
  loggedAt: Date,
  windowHours: number,
  now = Date.now(),
): boolean {
  return now - loggedAt.getTime() <= windowHours * 3_600_000;
}

export function decideContact(
  actor: Actor,
  facts: ContactFacts,
  windowHours: number,
  now = Date.now(),
): { allowed: true } | { allowed: false; reason: DenyReason } {
  if (!actor.roles.includes('volunteer')) return { allowed: false, reason: 'role' };
  if (
    facts.volunteerId !== actor.userId ||
    !withinVolunteerWindow(facts.createdAt, windowHours, now)
  )
    return { allowed: false, reason: 'relation' };
  return { allowed: true };
}

/**
 * The same rule inside SQL, as far as the clear allows; the contacts table aliased `ct`. The
 * time a contact was logged is sealed (the clear keeps only the call's week), and the link to
 * the volunteer is cleared when the window ends (VolunteerLinkExpiry), so this selects the
 * volunteer's linked contacts, a superset: apply `decideContact` to each row with the time
 * from its facts.
 */
export function contactScopeSql(actor: Actor, _windowHours: number, firstParam = 1): SqlScope {
  if (!actor.roles.includes('volunteer')) return { sql: 'false', params: [] };
  return { sql: `(ct.volunteer_id = $${firstParam}::uuid)`, params: [actor.userId] };
}

/**
 * Withdrawing a caller's consent is done for the caller, by someone in touch with them: the
 * volunteer on a call with them (who logged one of their contacts within the window), or the
 * assignee of one of their cases.
 */
export interface CallerFacts {
  readonly recentVolunteerIds: readonly string[];
  readonly assigneeIds: readonly string[];
}

export function decideConsentWithdrawal(
  actor: Actor,
  facts: CallerFacts,
): { allowed: true } | { allowed: false; reason: DenyReason } {
  const asVolunteer =
    actor.roles.includes('volunteer') && facts.recentVolunteerIds.includes(actor.userId);
  const asAssignee = facts.assigneeIds.includes(actor.userId);
  if (asVolunteer || asAssignee) return { allowed: true };
  return {
    allowed: false,
    reason: actor.roles.some((r) => r !== 'admin' && r !== 'coordinator') ? 'relation' : 'role',
  };
}
