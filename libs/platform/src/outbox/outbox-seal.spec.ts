import { randomBytes } from 'node:crypto';
import { DecryptionError, EnvelopeCipher } from '../crypto/envelope-cipher';
import { deriveKeyMaterial } from '../crypto/key-material';
import { KeyedHash } from '../crypto/keyed-hash';
import { KeyRing, SealedError } from '../crypto/key-ring';
import { job } from '../queue/queue.contract';
import { outboxJobKey, OutboxSeal } from './outbox-seal';

describe('OutboxSeal', () => {
  const ring = new KeyRing();
  ring.install(deriveKeyMaterial(randomBytes(32)));
  const hash = new KeyedHash(ring);
  const seal = new OutboxSeal(hash, new EnvelopeCipher(ring));
  const caseId = '4f6c1f9e-8d1a-4b43-9d8e-0d5b0c7f2a11';

  it('seals the logical queue, name, payload and due time; only the physical queue shows', () => {
    const due = new Date(Date.now() + 60_000);
    const sealed = seal.seal(
      job('emergency', 'check-ack', { caseId, tier: 1, round: 2 }, due, `check-ack-${caseId}`),
    );
    expect(sealed.physicalQueue).toBe('cases');
    expect(sealed.jobKey).toMatch(/^j[0-9a-f]{32}$/);
    const bytes = sealed.sealed.toString('latin1');
    for (const word of [caseId, 'emergency', 'check-ack', 'caseId'])
      expect(bytes).not.toContain(word);
    expect(seal.open(sealed.jobKey, sealed.sealed)).toEqual({
      queue: 'emergency',
      name: 'check-ack',
      payload: { caseId, tier: 1, round: 2 },
      runAt: due.getTime(),
    });
  });

  it('a keyed job gets the same pseudonymous key every time; an unkeyed one a random key', () => {
    const a = seal.seal(job('routing', 'route-case', { caseId }, undefined, `k-${caseId}`));
    const b = seal.seal(job('routing', 'route-case', { caseId }, undefined, `k-${caseId}`));
    expect(a.jobKey).toBe(b.jobKey);
    expect(a.jobKey).toBe(outboxJobKey(hash, `k-${caseId}`));
    expect(a.jobKey).not.toContain(caseId);
    expect(a.sealed.equals(b.sealed)).toBe(false);
    const c = seal.seal(job('routing', 'route-case', { caseId }));
    const d = seal.seal(job('routing', 'route-case', { caseId }));
    expect(c.jobKey).not.toBe(d.jobKey);
    expect(c.jobKey).toMatch(/^j[0-9a-f]{32}$/);
  });

  it('a job the relay opened and sent is taken once without opening it again, and only that blob', () => {
    const local = new OutboxSeal(hash, new EnvelopeCipher(ring));
    const a = local.seal(job('routing', 'route-case', { caseId }));
    const b = local.seal(job('routing', 'route-case', { caseId }));
    const opened = local.open(a.jobKey, a.sealed);
    const blob = a.sealed.toString('base64');
    local.remember(a.jobKey, blob, opened);
    const open = jest.spyOn(local, 'open');
    expect(local.openSent(a.jobKey, blob)).toBe(opened);
    expect(open).not.toHaveBeenCalled();
    // Taken once: a second delivery is opened.
    expect(local.openSent(a.jobKey, blob)).toEqual(opened);
    expect(open).toHaveBeenCalledTimes(1);
    // Another blob under the remembered key is opened, and fails as it would.
    local.remember(a.jobKey, blob, opened);
    expect(() => local.openSent(a.jobKey, b.sealed.toString('base64'))).toThrow(DecryptionError);
    // A seal forgets them all.
    local.remember(a.jobKey, blob, opened);
    local.forgetSent();
    expect(local.openSent(a.jobKey, blob)).toEqual(opened);
    expect(open).toHaveBeenCalledTimes(3);
  });

  it('a blob moved to another job does not open', () => {
    const a = seal.seal(job('legal', 'notify-assignee', { caseId, assigneeId: 'u' }));
    const b = seal.seal(job('psych', 'notify-assignee', { caseId, assigneeId: 'u' }));
    expect(() => seal.open(b.jobKey, a.sealed)).toThrow(DecryptionError);
  });

  it('another installation cannot open it, and a sealed ring cannot seal', () => {
    const other = new KeyRing();
    other.install(deriveKeyMaterial(randomBytes(32)));
    const a = seal.seal(job('maintenance', 'retention-sweep', {}));
    expect(a.physicalQueue).toBe('maintenance');
    expect(() =>
      new OutboxSeal(new KeyedHash(other), new EnvelopeCipher(other)).open(a.jobKey, a.sealed),
    ).toThrow(DecryptionError);
    const sealedRing = new KeyRing();
    expect(() =>
      new OutboxSeal(new KeyedHash(sealedRing), new EnvelopeCipher(sealedRing)).seal(
        job('maintenance', 'retention-sweep', {}),
      ),
    ).toThrow(SealedError);
  });
});
