import { randomBytes } from 'node:crypto';
import { DecryptionError, EnvelopeCipher, pooledRandomBytes } from './envelope-cipher';
import {
  applyKeystore,
  deriveKeyMaterial,
  keyBuffers,
  KeyMaterial,
  KeystoreError,
  newGeneration,
  StoredGeneration,
} from './key-material';
import { KeyedHash, normaliseIdentifier } from './keyed-hash';
import { KeyRing, SealedError } from './key-ring';

const keys = () => {
  const ring = new KeyRing();
  ring.install(deriveKeyMaterial(randomBytes(32)));
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
    const material = deriveKeyMaterial(randomBytes(32));
    let sealedEvents = 0;
    ring.onSeal(() => (sealedEvents += 1));
    ring.install(material);
    const cipher = new EnvelopeCipher(ring);
    const dek = cipher.newDataKey('contacts', 'a');
    ring.wipe();
    expect(ring.sealed).toBe(true);
    expect(sealedEvents).toBe(1);
    const buffers = keyBuffers(material);
    expect(buffers).toHaveLength(5);
    for (const key of buffers) expect(key.equals(Buffer.alloc(32))).toBe(true);
    expect(() => cipher.unwrapDataKey('contacts', 'a', dek.wrapped)).toThrow(SealedError);
  });

  it('derived keys are distinct, and the same root derives the same keys', () => {
    const root = randomBytes(32);
    const a = deriveKeyMaterial(root);
    const b = deriveKeyMaterial(root);
    expect(keyBuffers(a).every((key, i) => key.equals(keyBuffers(b)[i]))).toBe(true);
    const distinct = new Set([...keyBuffers(a), root].map((key) => key.toString('hex')));
    expect(distinct.size).toBe(6);
  });
});

describe('key generations', () => {
  /** A keystore after one rotation of `kind`: generation 0 retiring, generation 1 current. */
  const rotated = (root: Buffer, kind: 'master' | 'caller' | 'audit') => {
    const base = deriveKeyMaterial(root);
    const fresh = newGeneration(base.keystoreKey, kind, 1);
    const rows: StoredGeneration[] = [
      { kind, generation: 0, keyId: base[kind][0].id, wrapped: null, state: 'retiring' },
      { kind, generation: 1, keyId: fresh.generation.id, wrapped: fresh.wrapped, state: 'active' },
    ];
    return { rows, fresh: fresh.generation };
  };
  const ringOf = (material: KeyMaterial) => {
    const ring = new KeyRing();
    ring.install(material);
    return ring;
  };

  it('after a rotation, new data keys are wrapped under the new master key and old ones still open', () => {
    const root = randomBytes(32);
    const before = ringOf(deriveKeyMaterial(root));
    const old = new EnvelopeCipher(before).newDataKey('contacts', 'a');
    const { rows, fresh } = rotated(root, 'master');
    const after = ringOf(applyKeystore(deriveKeyMaterial(root), rows));
    const cipher = new EnvelopeCipher(after);
    expect(after.current('master').id.equals(fresh.id)).toBe(true);
    expect(cipher.newDataKey('contacts', 'b').wrapped.subarray(1, 5).equals(fresh.id)).toBe(true);
    expect(cipher.unwrapDataKey('contacts', 'a', old.wrapped).key.equals(old.key)).toBe(true);

    // Re-wrapping opens only the data key and wraps the same key under the new master key.
    const rewrapped = cipher.rewrapDataKey('contacts', 'a', old.wrapped)!;
    expect(rewrapped.subarray(1, 5).equals(fresh.id)).toBe(true);
    expect(cipher.unwrapDataKey('contacts', 'a', rewrapped).key.equals(old.key)).toBe(true);
    expect(cipher.rewrapDataKey('contacts', 'a', rewrapped)).toBeUndefined();
    // Bound to its row still.
    expect(() => cipher.unwrapDataKey('contacts', 'b', rewrapped)).toThrow(DecryptionError);
  });

  it('once the old master key is destroyed, what was wrapped under it no longer opens, even with the root', () => {
    const root = randomBytes(32);
    const old = new EnvelopeCipher(ringOf(deriveKeyMaterial(root))).newDataKey('contacts', 'a');
    const { rows } = rotated(root, 'master');
    rows[0] = { ...rows[0], state: 'destroyed' };
    const ring = ringOf(applyKeystore(deriveKeyMaterial(root), rows));
    expect(ring.keys().master.map((g) => g.generation)).toEqual([1]);
    expect(() => new EnvelopeCipher(ring).unwrapDataKey('contacts', 'a', old.wrapped)).toThrow(
      DecryptionError,
    );
  });

  it('a keystore row that does not open under this root is refused, not skipped', () => {
    const { rows } = rotated(randomBytes(32), 'master');
    expect(() => applyKeystore(deriveKeyMaterial(randomBytes(32)), rows)).toThrow(KeystoreError);
    const tampered = rotated(randomBytes(32), 'caller');
    expect(() =>
      applyKeystore(deriveKeyMaterial(randomBytes(32)), [{ ...tampered.rows[1], generation: 2 }]),
    ).toThrow(KeystoreError);
  });

  it('while the caller key rotates, a caller is found under both keys, the current one first', () => {
    const root = randomBytes(32);
    const old = new KeyedHash(ringOf(deriveKeyMaterial(root))).callerIdentifier('+7 900 000-00-01');
    const { rows } = rotated(root, 'caller');
    const keyed = new KeyedHash(ringOf(applyKeystore(deriveKeyMaterial(root), rows)));
    const hashes = keyed.callerIdentifiers('+7 900 000-00-01');
    expect(hashes.map((h) => h.generation)).toEqual([1, 0]);
    expect(hashes[1].hash.equals(old)).toBe(true);
    expect(hashes[0].hash.equals(old)).toBe(false);
    expect(keyed.callerIdentifier('+7 900 000-00-01').equals(hashes[0].hash)).toBe(true);
  });

  it('replacing the generations zeroes the old buffers and keeps the ring unsealed', () => {
    const root = randomBytes(32);
    const first = deriveKeyMaterial(root);
    const ring = ringOf(first);
    ring.replace(applyKeystore(deriveKeyMaterial(root), rotated(root, 'audit').rows));
    expect(ring.sealed).toBe(false);
    expect(keyBuffers(first).every((key) => key.equals(Buffer.alloc(32)))).toBe(true);
    expect(ring.keys().audit.map((g) => g.generation)).toEqual([0, 1]);
    // Sealed, a replacement is refused and zeroed: it never unseals.
    ring.wipe();
    const late = deriveKeyMaterial(root);
    ring.replace(late);
    expect(ring.sealed).toBe(true);
    expect(keyBuffers(late).every((key) => key.equals(Buffer.alloc(32)))).toBe(true);
  });
});

describe('the random block', () => {
  it('never hands out the same bytes twice, across refills of the block', () => {
    // 1,000 draws of 16 bytes span four blocks of 4 KB.
    const drawn = Array.from({ length: 1_000 }, () => pooledRandomBytes(16).toString('hex'));
    expect(new Set(drawn).size).toBe(drawn.length);
    expect(drawn.every((hex) => hex.length === 32)).toBe(true);
  });

  it('is for a few bytes at a time', () => {
    expect(() => pooledRandomBytes(8_192)).toThrow(RangeError);
  });
});
