import { randomBytes, randomUUID } from 'node:crypto';
import { deriveKeyMaterial, KeyedHash, KeyRing, SealedError } from '@mayak/platform';
import { AuditReferences, isPseudonymous } from './audit-reference';

describe('what audit entries call a record', () => {
  const unsealed = () => {
    const ring = new KeyRing();
    ring.install(deriveKeyMaterial(randomBytes(32)));
    return new AuditReferences(new KeyedHash(ring));
  };

  it('contacts, cases, callers and notes are named by a keyed pseudonym, not their id', () => {
    const references = unsealed();
    const id = randomUUID();
    for (const type of ['contact', 'case', 'caller', 'case_note']) {
      const reference = references.of(type, id);
      expect(reference).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(reference).not.toContain(id);
      expect(reference).not.toContain(id.replace(/-/g, ''));
      // Stable, so that entries can be found again with the key.
      expect(references.of(type, id)).toBe(reference);
    }
  });

  it('one record gets a different pseudonym per type, and per installation', () => {
    const references = unsealed();
    const id = randomUUID();
    const byType = ['contact', 'case', 'caller', 'case_note'].map((t) => references.of(t, id));
    expect(new Set(byType).size).toBe(4);
    expect(unsealed().of('contact', id)).not.toBe(references.of('contact', id));
  });

  it('a record type nobody listed is pseudonymous by default', () => {
    expect(isPseudonymous('break_glass_grant')).toBe(true);
    expect(isPseudonymous('consent')).toBe(true);
    expect(isPseudonymous(undefined)).toBe(true);
    expect(unsealed().of('consent', 'c-1')).not.toBe('c-1');
  });

  it('staff accounts, key custody and the audit key keep plain ids, with or without keys', () => {
    const sealed = new AuditReferences(new KeyedHash(new KeyRing()));
    for (const references of [unsealed(), sealed]) {
      expect(references.of('user', 'u-1')).toBe('u-1');
      expect(references.of('key_custody', 'x')).toBe('x');
      expect(references.of('audit_key', '2')).toBe('2');
    }
  });

  it('sealed, a caller record cannot be named at all: never in the clear', () => {
    const sealed = new AuditReferences(new KeyedHash(new KeyRing()));
    expect(() => sealed.of('contact', randomUUID())).toThrow(SealedError);
    expect(() => sealed.of('case', randomUUID())).toThrow(SealedError);
  });
});
