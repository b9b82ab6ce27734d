import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AppConfig, ConfigError } from '../config';

/** What each kind of key does. */
export type KeyKind = 'master' | 'caller' | 'audit';
export const KEY_KINDS: readonly KeyKind[] = ['master', 'caller', 'audit'];

/** One generation of a key: its number, its 4-byte fingerprint, and the key. */
export interface KeyGeneration {
  readonly generation: number;
  readonly id: Buffer;
  readonly key: Buffer;
}

/**
 * Every key a process holds. Each kind keeps its live generations, oldest first; the last is
 * the current one, which new data uses. The older ones still open what was written under them
 * until a rotation has redone it and they are destroyed.
 *
 *   master:   wraps data keys. Never stored in the database in the clear.
 *   caller:   keys the HMAC that recognises repeat callers.
 *   audit:    keys the audit trail's HMAC chain.
 *   keystore: wraps every generation after the first; derived, never rotated.
 *   pseudonym: keys the HMACs that stand in for identifiers where a lookup needs equality but
 *             the identifier must not be readable: staff usernames, and the records audit
 *             entries refer to. Derived, never rotated (a rotation would orphan every one).
 */
export interface KeyMaterial {
  keystoreKey: Buffer;
  pseudonymKey: Buffer;
  master: KeyGeneration[];
  caller: KeyGeneration[];
  audit: KeyGeneration[];
}

/** A short, stable fingerprint that names a key, e.g. inside every wrapped data key. */
export function keyId(key: Buffer): Buffer {
  return createHash('sha256').update('mayak:key-id').update(key).digest().subarray(0, 4);
}

function generationZero(key: Buffer): KeyGeneration[] {
  return [{ generation: 0, id: keyId(key), key }];
}

/**
 * Sealed custody: every key comes from the one root secret that the key holders' shares
 * rebuild, by HKDF with a label per key, so the root never needs to be written anywhere.
 * Generation 0 of each kind is derived; later generations are random and kept in the keystore
 * under the derived keystore key. Each key is a fresh buffer the KeyRing owns and zeroes.
 */
export function deriveKeyMaterial(root: Buffer): KeyMaterial {
  const derive = (label: string) =>
    Buffer.from(hkdfSync('sha256', root, 'mayak:root:v1', label, 32));
  return {
    keystoreKey: derive('keystore-v1'),
    pseudonymKey: derive('pseudonym-v1'),
    master: generationZero(derive('master-key-v1')),
    caller: generationZero(derive('caller-hash-v1')),
    audit: generationZero(derive('audit-chain-v1')),
  };
}

/** File custody (quick start and tests only): keys read from files or the environment. */
export function loadKeyMaterial(config: AppConfig): KeyMaterial {
  const masterKey = readKey('MASTER_KEY', config.MASTER_KEY, config.MASTER_KEY_FILE);
  const fromMaster = (label: string) =>
    Buffer.from(hkdfSync('sha256', masterKey, 'mayak', label, 32));
  return {
    keystoreKey: fromMaster('keystore-v1'),
    pseudonymKey: fromMaster('pseudonym-v1'),
    master: generationZero(masterKey),
    caller: generationZero(
      readKey('CALLER_HASH_KEY', config.CALLER_HASH_KEY, config.CALLER_HASH_KEY_FILE),
    ),
    audit: generationZero(fromMaster('audit-chain-v1')),
  };
}

/** Every key buffer in `material`, for zeroing (and for tests that look for them). */
export function keyBuffers(material: KeyMaterial): Buffer[] {
  return [
    material.keystoreKey,
    material.pseudonymKey,
    ...KEY_KINDS.flatMap((kind) => material[kind].map((g) => g.key)),
  ];
}

export function zeroMaterial(material: KeyMaterial): void {
  for (const buffer of keyBuffers(material)) buffer.fill(0);
}

/** A row of the keystore (`key_generations`), as stored. */
export interface StoredGeneration {
  kind: KeyKind;
  generation: number;
  keyId: Buffer;
  /** The key wrapped by the keystore key; null for generation 0 (derived) and once destroyed. */
  wrapped: Buffer | null;
  state: 'active' | 'retiring' | 'destroyed';
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A new random key of generation `generation`, and its wrapped form for the keystore. */
export function newGeneration(
  keystoreKey: Buffer,
  kind: KeyKind,
  generation: number,
): { generation: KeyGeneration; wrapped: Buffer } {
  const key = randomBytes(32);
  const id = keyId(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keystoreKey, iv);
  cipher.setAAD(generationAad(kind, generation, id));
  const body = Buffer.concat([cipher.update(key), cipher.final()]);
  return {
    generation: { generation, id, key },
    wrapped: Buffer.concat([iv, cipher.getAuthTag(), body]),
  };
}

/** Thrown when the keystore holds a generation the keystore key does not open. */
export class KeystoreError extends Error {
  constructor(kind: KeyKind, generation: number) {
    super(`keystore: ${kind} key generation ${generation} does not open under this root`);
    this.name = 'KeystoreError';
  }
}

/**
 * The process's keys once the keystore is applied to the base keys (generation 0 of each
 * kind, derived or read): a destroyed generation 0 is dropped and zeroed, and every live
 * stored generation is unwrapped. Takes ownership of `base`; the result owns every buffer.
 */
export function applyKeystore(base: KeyMaterial, rows: readonly StoredGeneration[]): KeyMaterial {
  const material: KeyMaterial = {
    keystoreKey: base.keystoreKey,
    pseudonymKey: base.pseudonymKey,
    master: [],
    caller: [],
    audit: [],
  };
  try {
    for (const kind of KEY_KINDS) {
      const stored = rows
        .filter((row) => row.kind === kind)
        .sort((a, b) => a.generation - b.generation);
      const zero = base[kind][0];
      const zeroRow = stored.find((row) => row.generation === 0);
      if (zeroRow?.state === 'destroyed') zero.key.fill(0);
      else material[kind].push(zero);
      for (const row of stored) {
        if (row.generation === 0 || row.state === 'destroyed' || !row.wrapped) continue;
        material[kind].push(openGeneration(base.keystoreKey, row));
      }
      if (material[kind].length === 0)
        throw new KeystoreError(kind, stored.at(-1)?.generation ?? 0);
    }
    return material;
  } catch (error) {
    zeroMaterial(material);
    throw error;
  }
}

function openGeneration(keystoreKey: Buffer, row: StoredGeneration): KeyGeneration {
  const wrapped = row.wrapped!;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keystoreKey, wrapped.subarray(0, IV_BYTES));
    decipher.setAAD(generationAad(row.kind, row.generation, row.keyId));
    decipher.setAuthTag(wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const key = Buffer.concat([
      decipher.update(wrapped.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
    if (!keyId(key).equals(row.keyId)) throw new Error('fingerprint');
    return { generation: row.generation, id: row.keyId, key };
  } catch {
    throw new KeystoreError(row.kind, row.generation);
  }
}

function generationAad(kind: KeyKind, generation: number, id: Buffer): Buffer {
  return Buffer.from(
    `mayak:keystore:v1\u001f${kind}\u001f${generation}\u001f${id.toString('hex')}`,
  );
}

/** A 32-byte key, base64, given inline or in a file; the message names the variable, never the value. */
export function readKey(
  name: string,
  inline: string | undefined,
  file: string | undefined,
): Buffer {
  let encoded = inline;
  if (!encoded && file) {
    try {
      encoded = readFileSync(file, 'utf8').trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError([`${name}_FILE cannot be read (${code})`]);
    }
  }
  if (!encoded) throw new ConfigError([`${name} or ${name}_FILE must be set`]);
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32 || key.toString('base64') !== encoded)
    throw new ConfigError([`${name}${inline ? '' : '_FILE'} must hold 32 bytes, base64-encoded`]);
  return key;
}
