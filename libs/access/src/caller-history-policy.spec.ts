import { decideEarlierContact } from './caller-history-policy';

describe('an earlier contact in a caller history (decideEarlierContact)', () => {
  const base = {
    scopes: ['service:legal', 'service:psych', 'statistics'],
    withdrawnScopes: [],
    erased: false,
    services: ['legal', 'psych'],
  };

  it('names the services whose consent is still in force', () => {
    expect(decideEarlierContact(base)).toEqual({ visible: true, services: ['legal', 'psych'] });
  });

  it('does not name a service whose consent was withdrawn', () => {
    expect(decideEarlierContact({ ...base, withdrawnScopes: ['service:psych'] })).toEqual({
      visible: true,
      services: ['legal'],
    });
  });

  it('does not name a service asked for without its consent', () => {
    expect(
      decideEarlierContact({
        ...base,
        scopes: ['service:legal'],
        services: ['legal', 'emergency'],
      }),
    ).toEqual({ visible: true, services: ['legal'] });
  });

  it('hides a contact whose consent was all withdrawn, or never given', () => {
    expect(decideEarlierContact({ ...base, withdrawnScopes: base.scopes })).toEqual({
      visible: false,
      reason: 'consent',
    });
    expect(decideEarlierContact({ ...base, scopes: [], services: [] })).toEqual({
      visible: false,
      reason: 'consent',
    });
  });

  it('hides a contact whose content was erased', () => {
    expect(decideEarlierContact({ ...base, erased: true })).toEqual({
      visible: false,
      reason: 'consent',
    });
  });
});
