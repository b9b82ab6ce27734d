import { Actor, Role } from '@mayak/identity';

/**
 * Actions that concern no single consent-scoped record, and the roles that may take them.
 * Anything not listed here is denied.
 */
export const CAPABILITIES = {
  'user:manage': ['admin'],
  'contact:create': ['volunteer'],
  'contact:list-mine': ['volunteer'],
  'caller:lookup': ['volunteer'],
  'staff:manage': ['coordinator'],
  'rota:manage': ['coordinator'],
  'stats:read': ['coordinator'],
  'emergency:board': ['responder', 'coordinator'],
  'staff:set-own': ['lawyer', 'psychologist', 'responder'],
  'custody:lockdown': ['coordinator', 'admin'],
  'withdrawal:confirm': ['coordinator'],
  /** Proposing, and deciding another's proposal of, a role that needs two people (12.1). */
  'role:propose': ['admin', 'coordinator'],
  'role:decide': ['admin', 'coordinator'],
  /**
   * The referral directory (issue 13.5): coordinators keep it; whoever refers a caller (the
   * volunteer on the call, a specialist on a case) searches it. Admins do not: accounts only.
   */
  'referral:manage': ['coordinator'],
  'referral:search': ['volunteer', 'lawyer', 'psychologist', 'responder', 'coordinator'],
  'vocabulary:read': ['volunteer', 'lawyer', 'psychologist', 'responder', 'coordinator', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Capability = keyof typeof CAPABILITIES;

export function hasCapability(roles: readonly Role[], capability: Capability): boolean {
  const allowed: readonly Role[] = CAPABILITIES[capability];
  return roles.some((role) => allowed.includes(role));
}

/**
 * Who acts when an operator uses the command line (create-admin, seeding): no session and no
 * role, holding the machine and its keys. Allowed every capability, and recorded as such.
 */
export const OPERATOR = Symbol('operator');

/** Someone signed in, or the operator at the command line. */
export type Principal = Actor | typeof OPERATOR;

/** The one rule every capability check applies. */
export function principalHasCapability(principal: Principal, capability: Capability): boolean {
  return principal === OPERATOR || hasCapability(principal.roles, capability);
}

/**
 * Whether `principal` may change the account `userId` (roles, disabling, second factor): an
 * admin, never on their own account (an admin who could strip their own role or disable
 * themselves could lock everyone out), or the operator.
 */
export function mayChangeAccount(principal: Principal, userId: string): boolean {
  if (principal === OPERATOR) return true;
  return hasCapability(principal.roles, 'user:manage') && principal.userId !== userId;
}
