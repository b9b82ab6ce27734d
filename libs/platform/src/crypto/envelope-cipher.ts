import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyRing } from './key-ring';

/** Where a ciphertext belongs. It is authenticated with the ciphertext, so a copy moved
 *  to another table, row or column fails to decrypt. */
export interface CipherBinding {
  table: string;
  id: string;
  column: string;
}

/** A data key in the clear (only ever in memory) and as stored, wrapped by the master key. */
export interface DataKey {
  readonly key: Buffer;
  readonly wrapped: Buffer;
}

/** Thrown for any ciphertext or wrapped key that does not open. Deliberately says nothing more. */
export class DecryptionError extends Error {
  constructor() {
    super('ciphertext could not be decrypted');
    this.name = 'DecryptionError';
  }
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_BYTES = 4;

/**
 * Initialisation vectors (and other random values that need not stay secret, such as the
 * outbox's random job keys) are drawn from a block of random bytes fetched a few kilobytes at
 * a time, as Node's randomUUID draws its UUIDs: one call into the random generator for
 * hundreds of values instead of one each. Each byte is used once. Data keys are drawn on their
 * own (newDataKey), never from this block.
 */
const POOL_BYTES = 4_096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** `size` bytes from the random block: for IVs and identifiers, never for keys. */
export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES) throw new RangeError('pooledRandomBytes is for a few bytes at a time');
  if (poolOffset + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + size);
  poolOffset += size;
  return bytes;
}

function randomIv(): Buffer {
  return pooledRandomBytes(IV_BYTES);
}

/**
 * Envelope encryption with AES-256-GCM: every record gets its own random data key, wrapped
 * by the master key and stored beside the record. Destroying the wrapped key destroys the
 * record's encrypted fields in the live system at once; in a backup, only once the master key
 * that backup was made under is itself destroyed.
 *
 * Layouts (all binary):
 *   wrapped key: version(1) | master key id(4) | iv(12) | tag(16) | key(32)
 *   ciphertext:  version(1) | iv(12) | tag(16) | data
 */
export class EnvelopeCipher {
  constructor(private readonly ring: KeyRing) {}

  newDataKey(table: string, id: string): DataKey {
    const key = randomBytes(KEY_BYTES);
    return { key, wrapped: this.wrap(table, id, key) };
  }

  unwrapDataKey(table: string, id: string, wrapped: Buffer): DataKey {
    const expectedLength = 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES + KEY_BYTES;
    if (wrapped.length !== expectedLength || wrapped[0] !== VERSION) throw new DecryptionError();
    // A key wrapped under a generation this process does not hold (destroyed) is gone.
    const master = this.ring.byId('master', masterKeyIdOf(wrapped));
    if (!master) throw new DecryptionError();
    const iv = wrapped.subarray(1 + KEY_ID_BYTES, 1 + KEY_ID_BYTES + IV_BYTES);
    const tag = wrapped.subarray(
      1 + KEY_ID_BYTES + IV_BYTES,
      1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES,
    );
    const body = wrapped.subarray(1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', master.key, iv);
      decipher.setAAD(wrapAad(table, id));
      decipher.setAuthTag(tag);
      const key = Buffer.concat([decipher.update(body), decipher.final()]);
      return { key, wrapped };
    } catch {
      throw new DecryptionError();
    }
  }

  /**
   * The same data key wrapped under the current master key, or undefined if it already is.
   * Only the data key is opened: nothing it protects is decrypted.
   */
  rewrapDataKey(table: string, id: string, wrapped: Buffer): Buffer | undefined {
    if (masterKeyIdOf(wrapped).equals(this.ring.current('master').id)) return undefined;
    const { key } = this.unwrapDataKey(table, id, wrapped);
    try {
      return this.wrap(table, id, key);
    } finally {
      key.fill(0);
    }
  }

  private wrap(table: string, id: string, key: Buffer): Buffer {
    const master = this.ring.current('master');
    const iv = randomIv();
    const cipher = createCipheriv('aes-256-gcm', master.key, iv);
    cipher.setAAD(wrapAad(table, id));
    const body = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), master.id, iv, cipher.getAuthTag(), body]);
  }

  encrypt(dataKey: DataKey, binding: CipherBinding, plaintext: string): Buffer {
    const iv = randomIv();
    const cipher = createCipheriv('aes-256-gcm', dataKey.key, iv);
    cipher.setAAD(fieldAad(binding));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
  }

  decrypt(dataKey: DataKey, binding: CipherBinding, blob: Buffer): string {
    if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new DecryptionError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey.key, blob.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(fieldAad(binding));
      decipher.setAuthTag(blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new DecryptionError();
    }
  }
}

/** The fingerprint of the master key a wrapped data key is under (bytes 2–5; SQL: substring(dek_wrapped from 2 for 4)). */
export function masterKeyIdOf(wrapped: Buffer): Buffer {
  return wrapped.subarray(1, 1 + KEY_ID_BYTES);
}

function wrapAad(table: string, id: string): Buffer {
  return Buffer.from(`mayak:dek:v1\u001f${table}\u001f${id}`, 'utf8');
}

function fieldAad({ table, id, column }: CipherBinding): Buffer {
  return Buffer.from(`mayak:field:v1\u001f${table}\u001f${id}\u001f${column}`, 'utf8');
}
