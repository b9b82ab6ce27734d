import { OnApplicationBootstrap } from '@nestjs/common';
import { KeyRing } from './key-ring';

/**
 * Work that needs the keys, done as soon as this process holds them: at start when it is
 * unsealed (file custody), and after every unseal. Runs never overlap. `settled()` is the
 * latest run, for a caller that must not act before it; it never rejects (a failed run goes
 * to `failed` and is tried again at the next unseal or start).
 *
 * A subclass gives the work (`pass`) and what to do with a failure; Nest starts it.
 */
export abstract class UnsealedPass implements OnApplicationBootstrap {
  private latest: Promise<void> = Promise.resolve();

  protected constructor(private readonly ring: KeyRing) {}

  protected abstract pass(): Promise<unknown>;

  protected abstract failed(error: unknown): void;

  onApplicationBootstrap(): void {
    this.ring.onUnseal(() => this.run());
    if (!this.ring.sealed) this.run();
  }

  settled(): Promise<void> {
    return this.latest;
  }

  private run(): void {
    this.latest = this.latest
      .then(() => this.pass())
      .then(
        () => undefined,
        (error: unknown) => this.failed(error),
      );
  }
}
