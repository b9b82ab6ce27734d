import { Role, SecondFactor } from '@mayak/identity';

/** What a session may reach, by how its owner signed in (issue 12.4). */
export type SessionReach = 'everything' | 'passkey_setup_only';

/**
 * A session of a role that must sign in with a passkey (PASSKEY_REQUIRED_ROLES), signed in with
 * a code, reaches only what it takes to register its first passkey (who am I, sign out, the
 * passkey routes): a phished password and code open nothing else. Every other session
 * reaches what its roles allow.
 */
export function sessionReach(
  session: { roles: readonly Role[]; secondFactor: SecondFactor },
  passkeyRoles: readonly string[],
): SessionReach {
  if (session.secondFactor === 'passkey') return 'everything';
  return session.roles.some((r) => passkeyRoles.includes(r)) ? 'passkey_setup_only' : 'everything';
}
