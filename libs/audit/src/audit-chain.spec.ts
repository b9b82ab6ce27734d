import { AUDIT_KEY_ROTATED, generationAfter } from './audit-chain';

describe('the audit chain across a key rotation', () => {
  const fingerprints = new Map([
    [0, Buffer.from('00000000', 'hex')],
    [1, Buffer.from('a1a1a1a1', 'hex')],
    [2, Buffer.from('b2b2b2b2', 'hex')],
  ]);
  const fingerprintOf = (g: number) => fingerprints.get(g);
  const rotation = (generation: string, reason: string, outcome = 'success') => ({
    action: AUDIT_KEY_ROTATED,
    record_id: generation,
    reason,
    outcome,
  });

  it('switches to the later generation the entry names, with its exact fingerprint', () => {
    expect(generationAfter(rotation('1', 'a1a1a1a1'), 0, fingerprintOf)).toBe(1);
    expect(generationAfter(rotation('2', 'b2b2b2b2'), 1, fingerprintOf)).toBe(2);
  });

  it('an entry slipped in by a database writer cannot move the chain to another key', () => {
    // Back to an older (perhaps compromised) key.
    expect(generationAfter(rotation('0', '00000000'), 1, fingerprintOf)).toBe(1);
    // To a key nobody holds, or with the wrong fingerprint, or as a failure.
    expect(generationAfter(rotation('7', 'deadbeef'), 1, fingerprintOf)).toBe(1);
    expect(generationAfter(rotation('2', 'a1a1a1a1'), 1, fingerprintOf)).toBe(1);
    expect(generationAfter(rotation('2', 'b2b2b2b2', 'failure'), 1, fingerprintOf)).toBe(1);
    expect(generationAfter(rotation('x', 'b2b2b2b2'), 1, fingerprintOf)).toBe(1);
    // Any other action never switches.
    expect(
      generationAfter({ ...rotation('2', 'b2b2b2b2'), action: 'contact.create' }, 1, fingerprintOf),
    ).toBe(1);
  });
});
