import { OnApplicationBootstrap } from '@nestjs/common';
import { describeError, Logger } from '../logging';
import { KeyRing } from './key-ring';

/**
 * Seals what an older version left in plaintext, as soon as this process holds the keys: at
 * start when it is unsealed (file custody), and after every unseal. Passes never overlap.
 * `settled()` is the latest pass, for a caller that must not act before it; it never rejects
 * (a failed pass is logged and tried again at the next unseal or start). Nest starts it.
 *
 * A subclass gives the pass itself, which must be safe to run in several processes at once.
 */
export abstract class SealingPass implements OnApplicationBootstrap {
  private latest: Promise<void> = Promise.resolve();

  protected constructor(
    private readonly ring: KeyRing,
    private readonly log: Logger,
    /** What is sealed, for the log: "usernames". */
    private readonly what: string,
  ) {}

  /** Seals every plaintext value left; returns how many this call sealed. */
  abstract sealRemaining(): Promise<number>;

  onApplicationBootstrap(): void {
    this.ring.onUnseal(() => this.run());
    if (!this.ring.sealed) this.run();
  }

  settled(): Promise<void> {
    return this.latest;
  }

  private run(): void {
    this.latest = this.latest
      .then(() => this.sealRemaining())
      .then(
        () => undefined,
        (error: unknown) =>
          this.log.error(describeError(error), `${this.what} could not be sealed`),
      );
  }
}
