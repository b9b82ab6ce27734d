import { Actor, Role } from '@mayak/identity';

/**
 * Roles whose grant needs two people (issue 12.1, SPEC "Insiders"): the service roles see case
 * content; a coordinator assigns cases and an admin makes accounts, so either could otherwise
 * be granted to a puppet that then confirms its maker's next proposal. Only `volunteer`, who
 * sees nothing but what they log themselves, is granted at once.
 */
export const TWO_PERSON_ROLES = [
  'lawyer',
  'psychologist',
  'responder',
  'coordinator',
  'admin',
] as const satisfies readonly Role[];
export type TwoPersonRole = (typeof TWO_PERSON_ROLES)[number];

export const needsTwoPeople = (role: Role): role is TwoPersonRole =>
  (TWO_PERSON_ROLES as readonly Role[]).includes(role);

/** The two sides of a grant: one proposes, a person of the other confirms. */
export type GrantSide = 'admin' | 'coordinator';

export const otherSide = (side: GrantSide): GrantSide =>
  side === 'admin' ? 'coordinator' : 'admin';

/**
 * The side a proposal is made as: an admin's through account administration; through the
 * role-grant route, a coordinator's when the proposer holds that role, else an admin's.
 */
export function proposingSide(actor: Actor, via: 'accounts' | 'role-grants'): GrantSide {
  if (via === 'accounts') return 'admin';
  return actor.roles.includes('coordinator') ? 'coordinator' : 'admin';
}

export interface PendingGrantFacts {
  readonly userId: string;
  readonly proposedBy: string;
  readonly proposedAs: GrantSide;
}

export type GrantDenial = 'own_account' | 'own_proposal' | 'same_side';

/**
 * Who may confirm or reject a pending grant: a person holding the other side's role, who is
 * neither its proposer nor the account it is for.
 */
export function mayDecideGrant(
  actor: Actor,
  grant: PendingGrantFacts,
): { allowed: true } | { allowed: false; reason: GrantDenial } {
  if (actor.userId === grant.userId) return { allowed: false, reason: 'own_account' };
  if (actor.userId === grant.proposedBy) return { allowed: false, reason: 'own_proposal' };
  if (!actor.roles.includes(otherSide(grant.proposedAs)))
    return { allowed: false, reason: 'same_side' };
  return { allowed: true };
}
