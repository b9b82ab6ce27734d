import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { AppConfig, deriveKeyMaterial, newGeneration, zeroMaterial } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CustodyError, CustodyException } from './custody.exception';
import { CustodyStore } from './custody-store';
import { Keystore } from './keystore';
import { checkValue, newRootSecret, splitRoot } from './root-secret';
import { encodeShare } from './share-codec';

export interface CustodySetup {
  shares: string[];
  threshold: number;
}

/**
 * Creates the root secret, splits it into n shares of which any k rebuild it, and keeps
 * only the check value. The root is zeroed before this returns: from here on it exists only
 * as shares in the key holders' hands, and in the memory of unsealed processes.
 */
@Injectable()
export class CustodyInitService {
  constructor(
    private readonly store: CustodyStore,
    private readonly audit: AuditTrail,
    private readonly config: AppConfig,
    private readonly db: DataSource,
    private readonly keystore: Keystore,
  ) {}

  async init(holders: number, threshold: number): Promise<CustodySetup> {
    if (this.config.keyCustody === 'file') throw new CustodyException(CustodyError.FileCustody);
    if (
      !Number.isInteger(holders) ||
      !Number.isInteger(threshold) ||
      threshold < 2 ||
      holders < threshold ||
      holders > 255
    )
      throw new CustodyException(CustodyError.BadParameters);
    if (await this.store.read()) throw new CustodyException(CustodyError.AlreadyInitialised);
    const custodyId = randomBytes(8);
    const root = newRootSecret();
    try {
      const parts = await splitRoot(root, holders, threshold);
      const shares = parts.map((part) => encodeShare(custodyId, part));
      parts.forEach((part) => part.fill(0));
      const created = await this.db.transaction(async (em) => {
        const made = await this.store.create(
          { custodyId, threshold, holders, checkValue: checkValue(root, custodyId) },
          em,
        );
        if (made) await this.firstGenerations(em, root);
        return made;
      });
      if (!created) throw new CustodyException(CustodyError.AlreadyInitialised);
      await this.audit.record({
        actorId: null,
        action: 'custody.init',
        recordType: 'key_custody',
        outcome: 'success',
        reason: `${threshold}_of_${holders}`,
      });
      return { shares, threshold };
    } finally {
      root.fill(0);
    }
  }

  /**
   * The master and caller-recognition keys start as random generation 1, kept only in the
   * keystore, never as keys derived from the root: a derived key lives as long as the root,
   * so it could never be destroyed, and erasure could never reach a backup made under it.
   * (The audit-chain key may stay derived: it is never destroyed, only rotated.)
   */
  private async firstGenerations(em: EntityManager, root: Buffer): Promise<void> {
    const base = deriveKeyMaterial(root);
    try {
      for (const kind of ['master', 'caller'] as const) {
        await this.keystore.insert(
          em,
          { kind, generation: 0, keyId: base[kind][0].id, wrapped: null },
          'destroyed',
        );
        const fresh = newGeneration(base.keystoreKey, kind, 1);
        await this.keystore.insert(em, {
          kind,
          generation: 1,
          keyId: fresh.generation.id,
          wrapped: fresh.wrapped,
        });
        fresh.generation.key.fill(0);
      }
    } finally {
      zeroMaterial(base);
    }
  }
}
