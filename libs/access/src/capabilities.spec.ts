import { Actor } from '@mayak/identity';
import {
  CAPABILITIES,
  Capability,
  hasCapability,
  mayChangeAccount,
  OPERATOR,
  principalHasCapability,
} from './capabilities';

const admin: Actor = { userId: 'a-1', roles: ['admin'] };
const coordinator: Actor = { userId: 'c-1', roles: ['coordinator'] };
const volunteer: Actor = { userId: 'v-1', roles: ['volunteer'] };

describe('capabilities', () => {
  it('a role holds exactly the capabilities the table gives it', () => {
    for (const [capability, roles] of Object.entries(CAPABILITIES) as Array<
      [Capability, readonly string[]]
    >) {
      expect([capability, hasCapability(['volunteer'], capability)]).toEqual([
        capability,
        roles.includes('volunteer'),
      ]);
      expect([capability, hasCapability([], capability)]).toEqual([capability, false]);
    }
  });

  it('intake and caller lookups are the volunteer’s; account administration the admin’s', () => {
    expect(hasCapability(volunteer.roles, 'contact:create')).toBe(true);
    expect(hasCapability(coordinator.roles, 'contact:create')).toBe(false);
    expect(hasCapability(admin.roles, 'contact:create')).toBe(false);
    expect(hasCapability(volunteer.roles, 'caller:lookup')).toBe(true);
    expect(hasCapability(admin.roles, 'user:manage')).toBe(true);
    expect(hasCapability(coordinator.roles, 'user:manage')).toBe(false);
  });

  it('every role reads the vocabulary', () => {
    for (const role of [
      'volunteer',
      'lawyer',
      'psychologist',
      'responder',
      'coordinator',
      'admin',
    ] as const)
      expect(hasCapability([role], 'vocabulary:read')).toBe(true);
  });

  it('the operator at the command line holds every capability, and no signed-in role does', () => {
    for (const capability of Object.keys(CAPABILITIES) as Capability[])
      expect(principalHasCapability(OPERATOR, capability)).toBe(true);
    expect(principalHasCapability(volunteer, 'user:manage')).toBe(false);
  });
});

describe('changing an account (mayChangeAccount)', () => {
  it('an admin changes others, never their own; the operator any; nobody else', () => {
    expect(mayChangeAccount(admin, 'v-1')).toBe(true);
    expect(mayChangeAccount(admin, admin.userId)).toBe(false);
    expect(mayChangeAccount(OPERATOR, admin.userId)).toBe(true);
    expect(mayChangeAccount(coordinator, 'v-1')).toBe(false);
  });
});
