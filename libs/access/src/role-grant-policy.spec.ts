import { Actor } from '@mayak/identity';
import { ROLES } from '@mayak/identity';
import { mayDecideGrant, needsTwoPeople, proposingSide } from './role-grant-policy';

const admin: Actor = { userId: 'a-1', roles: ['admin'] };
const otherAdmin: Actor = { userId: 'a-2', roles: ['admin'] };
const coordinator: Actor = { userId: 'c-1', roles: ['coordinator'] };
const both: Actor = { userId: 'x-1', roles: ['admin', 'coordinator'] };

describe('two-person role grants', () => {
  it('every role but volunteer needs two people', () => {
    expect(ROLES.filter((r) => !needsTwoPeople(r))).toEqual(['volunteer']);
  });

  it('an admin’s proposal is decided by a coordinator, a coordinator’s by an admin', () => {
    const byAdmin = { userId: 'u-1', proposedBy: admin.userId, proposedAs: 'admin' as const };
    expect(mayDecideGrant(coordinator, byAdmin)).toEqual({ allowed: true });
    expect(mayDecideGrant(otherAdmin, byAdmin)).toEqual({ allowed: false, reason: 'same_side' });
    const byCoordinator = {
      ...byAdmin,
      proposedBy: coordinator.userId,
      proposedAs: 'coordinator' as const,
    };
    expect(mayDecideGrant(admin, byCoordinator)).toEqual({ allowed: true });
    expect(mayDecideGrant({ userId: 'c-2', roles: ['coordinator'] }, byCoordinator)).toEqual({
      allowed: false,
      reason: 'same_side',
    });
  });

  it('never by the proposer, even holding both roles, nor by the account’s owner', () => {
    expect(
      mayDecideGrant(both, { userId: 'u-1', proposedBy: both.userId, proposedAs: 'admin' }),
    ).toEqual({ allowed: false, reason: 'own_proposal' });
    expect(
      mayDecideGrant(both, { userId: both.userId, proposedBy: admin.userId, proposedAs: 'admin' }),
    ).toEqual({ allowed: false, reason: 'own_account' });
  });

  it('a proposal through account administration is an admin’s; through role grants, a coordinator’s if they are one', () => {
    expect(proposingSide(both, 'accounts')).toBe('admin');
    expect(proposingSide(both, 'role-grants')).toBe('coordinator');
    expect(proposingSide(admin, 'role-grants')).toBe('admin');
  });
});
