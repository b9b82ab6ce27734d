import { KeyRing } from './key-ring';

/**
 * Work that needs the keys, done as soon as this process holds them: at start when it is
 * unsealed (file custody), and after every unseal. Runs never overlap. `settled()` is the
 * latest run, for a caller that must not act before it; it never rejects (a failed run is
 * reported to `onError` and tried again at the next unseal or start).
 */
export class UnsealedTask {
  private latest: Promise<void> = Promise.resolve();

  constructor(
    private readonly ring: KeyRing,
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Call once, when the process starts (onApplicationBootstrap). */
  start(): void {
    this.ring.onUnseal(() => this.run());
    if (!this.ring.sealed) this.run();
  }

  settled(): Promise<void> {
    return this.latest;
  }

  private run(): void {
    this.latest = this.latest.then(() => this.task()).catch(this.onError);
  }
}
