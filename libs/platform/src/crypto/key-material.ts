import { createHash, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AppConfig, ConfigError } from '../config';

export interface KeyMaterial {
  /** Wraps data keys. Never stored in the database. */
  masterKey: Buffer;
  /** Keys the HMAC that recognises repeat callers. Never stored in the database. */
  callerHashKey: Buffer;
  /** Keys the audit trail's HMAC chain; derived from the master key. */
  auditChainKey: Buffer;
}

/** A short, stable fingerprint that names a master key inside every wrapped data key. */
export function keyId(key: Buffer): Buffer {
  return createHash('sha256').update('mayak:key-id').update(key).digest().subarray(0, 4);
}

/**
 * Sealed custody: every key comes from the one root secret that the key holders' shares
 * rebuild, by HKDF with a label per key, so the root never needs to be written anywhere.
 * Each key is a fresh buffer the KeyRing owns and zeroes.
 */
export function deriveKeyMaterial(root: Buffer): KeyMaterial {
  const derive = (label: string) =>
    Buffer.from(hkdfSync('sha256', root, 'mayak:root:v1', label, 32));
  return {
    masterKey: derive('master-key-v1'),
    callerHashKey: derive('caller-hash-v1'),
    auditChainKey: derive('audit-chain-v1'),
  };
}

/** File custody (quick start and tests only): keys read from files or the environment. */
export function loadKeyMaterial(config: AppConfig): KeyMaterial {
  const masterKey = readKey('MASTER_KEY', config.MASTER_KEY, config.MASTER_KEY_FILE);
  return {
    masterKey,
    callerHashKey: readKey('CALLER_HASH_KEY', config.CALLER_HASH_KEY, config.CALLER_HASH_KEY_FILE),
    auditChainKey: Buffer.from(hkdfSync('sha256', masterKey, 'mayak', 'audit-chain-v1', 32)),
  };
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
