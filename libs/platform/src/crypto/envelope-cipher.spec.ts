import { randomBytes } from 'node:crypto';
import { DecryptionError, EnvelopeCipher } from './envelope-cipher';
import { deriveKeyMaterial } from './key-material';
import { KeyedHash, normaliseIdentifier } from './keyed-hash';
import { KeyRing, SealedError } from './key-ring';

const keys = () => {
  const ring = new KeyRing();
  ring.install({
    masterKey: randomBytes(32),
    callerHashKey: randomBytes(32),
    auditChainKey: randomBytes(32),
  });
  return ring;
};

describe('envelope encryption', () => {
  const cipher = new EnvelopeCipher(keys());
  const binding = { table: 'contacts', id: 'a', column: 'summary' };

  it('round-trips text under a per-record data key', () => {
    const dek = cipher.newDataKey('contacts', 'a');
    const blob = cipher.encrypt(dek, binding, 'Привет, мир');
    expect(blob.toString('utf8')).not.toContain('Привет');
    const reopened = cipher.unwrapDataKey('contacts', 'a', dek.wrapped);
    expect(cipher.decrypt(reopened, binding, blob)).toBe('Привет, мир');
  });

  it('a ciphertext moved to another row, column or table does not decrypt', () => {
    const dek = cipher.newDataKey('contacts', 'a');
    const blob = cipher.encrypt(dek, binding, 'secret');
    expect(() => cipher.decrypt(dek, { ...binding, id: 'b' }, blob)).toThrow(DecryptionError);
    expect(() => cipher.decrypt(dek, { ...binding, column: 'pseudonym' }, blob)).toThrow(
      DecryptionError,
    );
    expect(() => cipher.decrypt(dek, { ...binding, table: 'case_notes' }, blob)).toThrow(
      DecryptionError,
    );
  });

  it('a wrapped data key moved to another row does not unwrap', () => {
    const dek = cipher.newDataKey('contacts', 'a');
    expect(() => cipher.unwrapDataKey('contacts', 'b', dek.wrapped)).toThrow(DecryptionError);
  });

  it('a different master key cannot unwrap, and a flipped bit is detected', () => {
    const dek = cipher.newDataKey('contacts', 'a');
    expect(() => new EnvelopeCipher(keys()).unwrapDataKey('contacts', 'a', dek.wrapped)).toThrow(
      DecryptionError,
    );
    const blob = cipher.encrypt(dek, binding, 'secret');
    blob[blob.length - 1] ^= 1;
    expect(() => cipher.decrypt(dek, binding, blob)).toThrow(DecryptionError);
  });

  it('the error says nothing about the data', () => {
    const dek = cipher.newDataKey('contacts', 'a');
    const blob = cipher.encrypt(dek, binding, 'secret');
    try {
      cipher.decrypt(dek, { ...binding, id: 'z' }, blob);
    } catch (error) {
      expect((error as Error).message).toBe('ciphertext could not be decrypted');
    }
    expect.assertions(1);
  });
});

describe('caller recognition', () => {
  it('the same number written differently hashes the same', () => {
    const hash = new KeyedHash(keys());
    const a = hash.callerIdentifier('+7 (912) 345-67-89');
    expect(hash.callerIdentifier('89123456789').equals(a)).toBe(true);
    expect(hash.callerIdentifier('79123456789').equals(a)).toBe(true);
    expect(hash.callerIdentifier('+7 912 345 67 80').equals(a)).toBe(false);
  });

  it('handles ignore case and a leading @', () => {
    expect(normaliseIdentifier('@Anna_Safe')).toBe(normaliseIdentifier('anna_safe'));
  });

  it('another key gives another hash, so the hashes are useless without the key', () => {
    expect(
      new KeyedHash(keys())
        .callerIdentifier('89123456789')
        .equals(new KeyedHash(keys()).callerIdentifier('89123456789')),
    ).toBe(false);
  });
});

describe('the key ring', () => {
  it('sealed, every use of a key throws SealedError', () => {
    const cipher = new EnvelopeCipher(new KeyRing());
    expect(() => cipher.newDataKey('contacts', 'a')).toThrow(SealedError);
    expect(() => new KeyedHash(new KeyRing()).callerIdentifier('89123456789')).toThrow(SealedError);
  });

  it('wiping zeroes the very buffers that held the keys, and seals', () => {
    const ring = new KeyRing();
    const material = {
      masterKey: randomBytes(32),
      callerHashKey: randomBytes(32),
      auditChainKey: randomBytes(32),
    };
    let sealedEvents = 0;
    ring.onSeal(() => (sealedEvents += 1));
    ring.install(material);
    const cipher = new EnvelopeCipher(ring);
    const dek = cipher.newDataKey('contacts', 'a');
    ring.wipe();
    expect(ring.sealed).toBe(true);
    expect(sealedEvents).toBe(1);
    for (const key of Object.values(material)) expect(key.equals(Buffer.alloc(32))).toBe(true);
    expect(() => cipher.unwrapDataKey('contacts', 'a', dek.wrapped)).toThrow(SealedError);
  });

  it('derived keys are distinct, and the same root derives the same keys', () => {
    const root = randomBytes(32);
    const a = deriveKeyMaterial(root);
    const b = deriveKeyMaterial(root);
    expect(a.masterKey.equals(b.masterKey)).toBe(true);
    expect(a.masterKey.equals(a.callerHashKey)).toBe(false);
    expect(a.masterKey.equals(a.auditChainKey)).toBe(false);
    expect(a.masterKey.equals(root)).toBe(false);
  });
});
