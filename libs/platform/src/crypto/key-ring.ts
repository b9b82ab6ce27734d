import { keyId, KeyMaterial } from './key-material';

/** Thrown by anything that needs a key while the process is sealed. Says nothing more. */
export class SealedError extends Error {
  constructor() {
    super('sealed: the keys are not in memory; key holders must unseal');
    this.name = 'SealedError';
  }
}

type Listener = () => void;

/**
 * The one place a process holds its keys, in memory only. Sealed, it holds nothing and every
 * use of a key throws SealedError. `install` unseals; `wipe` zeroes every key buffer it was
 * given (the caller hands over ownership) and seals again. Listeners hear both changes, so
 * that streams close, workers pause and relays stop the moment the keys go.
 */
export class KeyRing {
  private material?: KeyMaterial;
  private masterKeyIdCache?: Buffer;
  private readonly onSealListeners: Listener[] = [];
  private readonly onUnsealListeners: Listener[] = [];

  get sealed(): boolean {
    return this.material === undefined;
  }

  keys(): KeyMaterial {
    if (!this.material) throw new SealedError();
    return this.material;
  }

  masterKeyId(): Buffer {
    if (!this.material || !this.masterKeyIdCache) throw new SealedError();
    return this.masterKeyIdCache;
  }

  /** Takes ownership of the buffers: they are zeroed when the ring is wiped. */
  install(material: KeyMaterial): void {
    if (this.material) {
      zeroMaterial(material);
      return;
    }
    this.material = material;
    this.masterKeyIdCache = keyId(material.masterKey);
    for (const listener of this.onUnsealListeners) listener();
  }

  /** Zeroes the keys and seals. Idempotent. */
  wipe(): void {
    const material = this.material;
    if (!material) return;
    this.material = undefined;
    this.masterKeyIdCache = undefined;
    zeroMaterial(material);
    for (const listener of this.onSealListeners) listener();
  }

  onSeal(listener: Listener): void {
    this.onSealListeners.push(listener);
  }

  onUnseal(listener: Listener): void {
    this.onUnsealListeners.push(listener);
  }
}

export function zeroMaterial(material: KeyMaterial): void {
  material.masterKey.fill(0);
  material.callerHashKey.fill(0);
  material.auditChainKey.fill(0);
}
