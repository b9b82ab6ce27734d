import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { AppConfig, Logger, LOGGER } from '@mayak/platform';
import { CustodyError, CustodyException } from './custody.exception';
import { CustodyStore } from './custody-store';
import { PeerLink } from './peer-link.service';
import { combineShares, matchesCheckValue } from './root-secret';
import { KeyLoader } from './key-loader.service';
import { RootHolder } from './root-holder';
import { decodeShare } from './share-codec';

export interface UnsealStatus {
  sealed: boolean;
  progress: number;
  threshold: number;
  initialised: boolean;
  custody: 'file' | 'sealed';
}

/**
 * Collects key holders' shares, in memory only, until k of them rebuild the root secret;
 * then unseals this process and tells its peers, which ask for the secret in turn. Every
 * submission is audited (never the share); shares are dropped after UNSEAL_SHARE_TTL_SECONDS
 * (10 minutes) without a new one.
 */
@Injectable()
export class UnsealService implements OnModuleDestroy {
  private readonly shares = new Map<number, Buffer>();
  private idleTimer?: NodeJS.Timeout;
  private combining?: Promise<void>;

  constructor(
    private readonly root: RootHolder,
    private readonly keys: KeyLoader,
    private readonly store: CustodyStore,
    private readonly audit: AuditTrail,
    private readonly peers: PeerLink,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // A lockdown between two submissions must not leave the first one waiting in memory.
    this.root.onSealed(() => this.forgetShares());
  }

  async status(): Promise<UnsealStatus> {
    const custody = this.config.keyCustody;
    const record = custody === 'sealed' ? await this.store.read() : undefined;
    return {
      sealed: this.root.sealed,
      progress: this.root.sealed ? this.shares.size : 0,
      threshold: record?.threshold ?? 0,
      initialised: custody === 'file' || record !== undefined,
      custody,
    };
  }

  async submit(text: string, source: 'web' | 'cli'): Promise<UnsealStatus> {
    if (this.config.keyCustody === 'file') throw new CustodyException(CustodyError.FileCustody);
    const record = await this.store.read().catch(async (error: unknown) => {
      if (error instanceof CustodyException) await this.record('failure', source, error.code);
      throw error;
    });
    if (!record) throw new CustodyException(CustodyError.NotInitialised);
    if (!this.root.sealed) return this.status();
    let share;
    try {
      share = decodeShare(text);
      if (!share.custodyId.equals(record.custodyId))
        throw new CustodyException(CustodyError.ForeignShare);
    } catch (error) {
      await this.record('failure', source, (error as CustodyException).code);
      throw error;
    }
    const x = share.bytes[share.bytes.length - 1];
    const duplicate = this.shares.has(x);
    if (duplicate) share.bytes.fill(0);
    else this.shares.set(x, share.bytes);
    this.restartIdleTimer();
    await this.record('success', source, duplicate ? 'duplicate_share' : 'share_accepted');
    if (this.shares.size >= record.threshold) {
      this.combining ??= this.combine(
        record.checkValue,
        record.custodyId,
        record.lockdownEpoch,
        source,
      ).finally(() => (this.combining = undefined));
      await this.combining;
    }
    return this.status();
  }

  onModuleDestroy(): void {
    this.forgetShares();
  }

  private async combine(
    expected: Buffer,
    custodyId: Buffer,
    epoch: number,
    source: 'web' | 'cli',
  ): Promise<void> {
    const shares = [...this.shares.values()];
    const root = await combineShares(shares);
    this.forgetShares();
    if (!matchesCheckValue(root, custodyId, expected)) {
      root.fill(0);
      await this.record('failure', source, 'check_value_mismatch');
      throw new CustodyException(CustodyError.CheckFailed);
    }
    await this.keys.unseal(root, epoch);
    await this.record('success', source, 'unsealed');
    this.logger.info({ epoch }, 'unsealed by key holders');
    await this.peers.announceUnsealed();
  }

  private restartIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.shares.size === 0) return;
      this.logger.info({ dropped: this.shares.size }, 'unseal: partial shares expired');
      this.forgetShares();
    }, this.config.UNSEAL_SHARE_TTL_SECONDS * 1000);
    this.idleTimer.unref();
  }

  private forgetShares(): void {
    clearTimeout(this.idleTimer);
    for (const bytes of this.shares.values()) bytes.fill(0);
    this.shares.clear();
  }

  private record(outcome: 'success' | 'failure', source: string, reason: string): Promise<void> {
    return this.audit.record({
      actorId: null,
      action: `custody.unseal.${source}`,
      recordType: 'key_custody',
      outcome,
      reason,
    });
  }
}
