import { KeyGeneration, KeyKind, KeyMaterial, zeroMaterial } from './key-material';

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
 * use of a key throws SealedError. `install` unseals; `replace` swaps in the generations a
 * rotation changed; `wipe` zeroes every key buffer it was given (the caller hands over
 * ownership) and seals again. Listeners hear sealing and unsealing, so that streams close,
 * workers pause and relays stop the moment the keys go.
 *
 * Every use of a key is synchronous (Node copies a key into its cipher context when the
 * context is made), so zeroing a replaced buffer never pulls a key from under a use.
 */
export class KeyRing {
  private material?: KeyMaterial;
  private readonly onSealListeners: Listener[] = [];
  private readonly onUnsealListeners: Listener[] = [];
  private readonly onRefreshListeners: Listener[] = [];

  get sealed(): boolean {
    return this.material === undefined;
  }

  keys(): KeyMaterial {
    if (!this.material) throw new SealedError();
    return this.material;
  }

  /** The generation of `kind` that new data uses. */
  current(kind: KeyKind): KeyGeneration {
    const generations = this.keys()[kind];
    return generations[generations.length - 1];
  }

  /** The live generation of `kind` with fingerprint `id`, if this process holds it. */
  byId(kind: KeyKind, id: Buffer): KeyGeneration | undefined {
    return this.keys()[kind].find((g) => g.id.equals(id));
  }

  /** The live generation of `kind` numbered `generation`, if this process holds it. */
  byNumber(kind: KeyKind, generation: number): KeyGeneration | undefined {
    return this.keys()[kind].find((g) => g.generation === generation);
  }

  /** Takes ownership of the buffers: they are zeroed when the ring is wiped. */
  install(material: KeyMaterial): void {
    if (this.material) {
      zeroMaterial(material);
      return;
    }
    this.material = material;
    for (const listener of this.onUnsealListeners) listener();
  }

  /**
   * Swaps in a new set of generations (after a rotation, or a retirement) and zeroes the old
   * buffers. Sealed, it refuses the keys: a replacement never unseals.
   */
  replace(material: KeyMaterial): void {
    const old = this.material;
    if (!old) {
      zeroMaterial(material);
      return;
    }
    this.material = material;
    zeroMaterial(old);
  }

  /** Zeroes the keys and seals. Idempotent. */
  wipe(): void {
    const material = this.material;
    if (!material) return;
    this.material = undefined;
    zeroMaterial(material);
    for (const listener of this.onSealListeners) listener();
  }

  onSeal(listener: Listener): void {
    this.onSealListeners.push(listener);
  }

  onUnseal(listener: Listener): void {
    this.onUnsealListeners.push(listener);
  }

  /** Asks whoever loads the keystore to load it again (a generation is missing here). */
  requestRefresh(): void {
    if (!this.material) return;
    for (const listener of this.onRefreshListeners) listener();
  }

  onRefreshRequested(listener: Listener): void {
    this.onRefreshListeners.push(listener);
  }
}
