import { Injectable } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KeyMaterial, KeyRing, zeroMaterial } from '@mayak/platform';

/**
 * While unsealed, the root secret itself stays in memory too, beside the keys derived from
 * it, so that this process can hand it to a sealed peer. Both go the moment the ring is
 * wiped, from whichever cause: a lockdown, a missed lockdown noticed late, shutdown.
 */
@Injectable()
export class RootHolder {
  private root?: Buffer;
  private rootEpoch = 0;

  constructor(private readonly ring: KeyRing) {
    ring.onSeal(() => {
      this.root?.fill(0);
      this.root = undefined;
      // Cipher and HMAC contexts hold copies of the keys inside OpenSSL until they are
      // collected; OpenSSL clears them as it frees them. Collect now, not some time later.
      scheduleGarbageCollection();
    });
  }

  get sealed(): boolean {
    return this.ring.sealed;
  }

  /** The lockdown epoch this process was unsealed in. */
  get epoch(): number {
    return this.rootEpoch;
  }

  /**
   * Takes ownership of `root` and `material` (the keys from it; see KeyLoader), both zeroed
   * on seal, and unseals. Already unsealed, it zeroes both and keeps what it has.
   */
  unseal(root: Buffer, epoch: number, material: KeyMaterial): void {
    if (!this.ring.sealed) {
      root.fill(0);
      zeroMaterial(material);
      return;
    }
    this.root = root;
    this.rootEpoch = epoch;
    this.ring.install(material);
  }

  /** Lends the root to `use`, which must not keep it. */
  lend<T>(use: (root: Buffer) => T): T | undefined {
    return this.root ? use(this.root) : undefined;
  }

  seal(): void {
    this.ring.wipe();
  }

  onSealed(listener: () => void): void {
    this.ring.onSeal(listener);
  }

  onUnsealed(listener: () => void): void {
    this.ring.onUnseal(listener);
  }
}

let gc: (() => void) | undefined;
let scheduled: NodeJS.Timeout | undefined;

/** One collection for every ring wiped within 50 ms (tests run several apps in one process). */
function scheduleGarbageCollection(): void {
  scheduled ??= setTimeout(() => {
    scheduled = undefined;
    collectGarbage();
  }, 50);
}

function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
