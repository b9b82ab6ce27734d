import { Role } from '@mayak/identity';

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
  'vocabulary:read': ['volunteer', 'lawyer', 'psychologist', 'responder', 'coordinator', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Capability = keyof typeof CAPABILITIES;

export function hasCapability(roles: readonly Role[], capability: Capability): boolean {
  const allowed: readonly Role[] = CAPABILITIES[capability];
  return roles.some((role) => allowed.includes(role));
}
