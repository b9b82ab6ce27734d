import { Injectable } from '@nestjs/common';
import { AccessControl } from '@mayak/access';
import { AuditTrail } from '@mayak/audit';
import { Actor, SESSION_REVOKED_CHANNEL } from '@mayak/identity';
import { DataSource } from 'typeorm';
import { CustodyStore } from './custody-store';
import { CUSTODY_CHANNEL } from './peer-link.service';
import { RootHolder } from './root-holder';

export type LockdownTrigger = 'web' | 'cli' | 'duress';

/**
 * Seals everything at once, on one person's word: there is no time for a second when the
 * police are at the door. In one transaction it starts a new lockdown epoch (so no peer can
 * unseal another across it), ends every session and audits; on commit every process hears it
 * through NOTIFY and wipes its keys. Only k key holders can unseal again.
 */
@Injectable()
export class LockdownService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly store: CustodyStore,
    private readonly root: RootHolder,
  ) {}

  /** A signed-in coordinator or admin (the web UI, or a duress sign-in), or the operator. */
  async lockdown(actor: Actor | 'operator', trigger: LockdownTrigger): Promise<void> {
    if (actor !== 'operator' && trigger !== 'duress')
      await this.access.requireCapability(actor, 'custody:lockdown');
    // Wipe here first: this process must not serve another request with its keys.
    this.root.seal();
    await this.db.transaction(async (em) => {
      const epoch = (await this.store.nextEpoch(em)) ?? null;
      await em.query(`DELETE FROM sessions`);
      await this.audit.record(
        {
          actorId: actor === 'operator' ? null : actor.userId,
          action: 'custody.lockdown',
          recordType: 'key_custody',
          outcome: 'success',
          reason: trigger,
        },
        em,
      );
      await em.query(`SELECT pg_notify($1, $2), pg_notify($3, 'all:')`, [
        CUSTODY_CHANNEL,
        JSON.stringify({ t: 'lockdown', epoch }),
        SESSION_REVOKED_CHANNEL,
      ]);
    });
  }
}
