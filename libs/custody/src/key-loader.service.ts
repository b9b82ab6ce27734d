import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  AppConfig,
  applyKeystore,
  deriveKeyMaterial,
  describeError,
  KeyMaterial,
  KeyRing,
  loadKeyMaterial,
  Logger,
  LOGGER,
  zeroMaterial,
} from '@mayak/platform';
import { Keystore, keystoreVersion } from './keystore';
import { RootHolder } from './root-holder';

/** While unsealed, how often a process checks the keystore for a change it was not told of. */
const VERSION_CHECK_MS = 2_000;

/**
 * Puts the right key generations into the ring: at unseal (base keys from the root, plus the
 * keystore), at start in file custody, and again whenever a rotation or retirement changes the
 * keystore. A rotation announces itself (NOTIFY, see PeerLink); a poll catches a lost notice.
 */
@Injectable()
export class KeyLoader implements OnModuleInit, OnModuleDestroy {
  private loadedVersion?: string;
  private refreshing?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly ring: KeyRing,
    private readonly root: RootHolder,
    private readonly keystore: Keystore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.ring.onRefreshRequested(() => void this.refresh());
    this.ring.onSeal(() => (this.loadedVersion = undefined));
    if (!this.ring.sealed) await this.refresh();
    this.timer = setInterval(() => void this.checkVersion(), VERSION_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Unseals with `root` (ownership passes: it is zeroed on failure or on seal): the keys
   * derived from it, and the keystore's generations opened with them.
   */
  async unseal(root: Buffer, epoch: number): Promise<void> {
    let material: KeyMaterial;
    try {
      material = await this.open(deriveKeyMaterial(root));
    } catch (error) {
      root.fill(0);
      throw error;
    }
    this.root.unseal(root, epoch, material);
  }

  /** Loads the keystore again and swaps the generations in; one at a time, never lost. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.reload();
      } while (this.again);
    })()
      .catch((error: unknown) => {
        this.logger.error(describeError(error), 'custody: the keystore could not be loaded');
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async reload(): Promise<void> {
    if (this.ring.sealed) return;
    const base =
      this.config.keyCustody === 'file'
        ? loadKeyMaterial(this.config)
        : this.root.lend((root) => deriveKeyMaterial(root));
    if (!base) return;
    this.ring.replace(await this.open(base));
  }

  private async open(base: KeyMaterial): Promise<KeyMaterial> {
    try {
      const rows = await this.keystore.rows();
      const material = applyKeystore(base, rows);
      this.loadedVersion = keystoreVersion(rows);
      return material;
    } catch (error) {
      zeroMaterial(base);
      throw error;
    }
  }

  private async checkVersion(): Promise<void> {
    if (this.ring.sealed || this.refreshing) return;
    try {
      if ((await this.keystore.version()) !== this.loadedVersion) await this.refresh();
    } catch {
      // The database is away; the next check will tell.
    }
  }
}
