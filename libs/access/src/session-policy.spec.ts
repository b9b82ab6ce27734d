import { sessionReach } from './session-policy';

const REQUIRED = ['admin', 'coordinator'];

describe('sessionReach', () => {
  it('a passkey role signed in with a code may only set up its passkey', () => {
    expect(sessionReach({ roles: ['coordinator'], secondFactor: 'totp' }, REQUIRED)).toBe(
      'passkey_setup_only',
    );
    expect(sessionReach({ roles: ['volunteer', 'admin'], secondFactor: 'totp' }, REQUIRED)).toBe(
      'passkey_setup_only',
    );
  });

  it('a passkey role signed in with a passkey reaches what its roles allow', () => {
    expect(sessionReach({ roles: ['coordinator'], secondFactor: 'passkey' }, REQUIRED)).toBe(
      'everything',
    );
  });

  it('other roles reach what their roles allow with either factor', () => {
    for (const secondFactor of ['totp', 'passkey'] as const)
      for (const role of ['volunteer', 'lawyer', 'psychologist', 'responder'] as const)
        expect(sessionReach({ roles: [role], secondFactor }, REQUIRED)).toBe('everything');
  });

  it('follows the configured roles, including none', () => {
    expect(sessionReach({ roles: ['lawyer'], secondFactor: 'totp' }, ['lawyer'])).toBe(
      'passkey_setup_only',
    );
    expect(sessionReach({ roles: ['admin'], secondFactor: 'totp' }, [])).toBe('everything');
  });
});
