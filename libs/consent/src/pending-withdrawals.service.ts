import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl, AccessError, AccessException, ConsentScope } from '@mayak/access';
import { AuditTrail } from '@mayak/audit';
import { CallerRegistry } from '@mayak/contacts';
import { Actor, StaffNames } from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import { EnvelopeCipher, ExactTimes, KeyedHash, rowsOf } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { WithdrawalEffects } from './withdrawal-effects';

/** A withdrawal waiting for a coordinator, as coordinators see it: no caller, no contact. */
export interface PendingWithdrawalView {
  id: string;
  scopes: ConsentScope[];
  requestedBy: string;
  /** The asker's staff name, so a coordinator can judge the request (staff, never the caller). */
  requestedByUsername: string;
  requestedAt: Date;
  status: 'pending' | 'confirmed';
  /** When it will be applied, once confirmed: 24 h or more after the request. */
  notBefore: Date;
}

const DAY_MS = 86_400_000;

/**
 * The coordinators' queue of withdrawals that would destroy records the volunteer asking did
 * not log on this call (issue 12.2). A coordinator confirms or rejects; a confirmed one is
 * applied from the start of the second day after the request (so at least 24 h later), by
 * the worker's minutely pass, through the same ConsentWithdrawalService.apply as any other.
 * The row keeps the caller sealed and only the day in the clear.
 */
@Injectable()
export class PendingWithdrawals {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly notifications: NotificationsService,
    private readonly callers: CallerRegistry,
    private readonly cipher: EnvelopeCipher,
    private readonly hash: KeyedHash,
    private readonly times: ExactTimes,
    private readonly effects: WithdrawalEffects,
    private readonly names: StaffNames,
  ) {}

  /** Queues the rest of a withdrawal, inside the withdrawal's transaction; tells coordinators. */
  async request(
    em: EntityManager,
    actor: Actor,
    callerId: string,
    scopes: ConsentScope[],
  ): Promise<string> {
    const id = randomUUID();
    // The day, not the week: the queue applies it from the second day after. The row names no
    // call and no attribute of one (the caller is sealed).
    const now = this.times.now();
    const requested = {
      day: this.times.dayOf(now),
      ...this.times.seal({ table: 'pending_withdrawals', id, column: 'requested' }, now),
    };
    await em.query(
      `INSERT INTO pending_withdrawals (id, caller_enc, scopes, requested_by, requested_day, requested_enc)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, this.sealCaller(id, callerId), scopes, actor.userId, requested.day, requested.sealed],
    );
    await this.notifications.aboutStaffToCoordinators(em, 'withdrawal_pending', actor.userId, id);
    return id;
  }

  /** The queue, oldest first: coordinators only. */
  async list(actor: Actor): Promise<PendingWithdrawalView[]> {
    await this.access.requireCapability(actor, 'withdrawal:confirm');
    const rows: Array<{
      id: string;
      scopes: ConsentScope[];
      requested_by: string;
      requested_day: Date;
      requested_enc: Buffer;
      status: 'pending' | 'confirmed';
      dek_wrapped: Buffer;
      username_enc: Buffer;
    }> = await this.db.query(
      `SELECT w.id, w.scopes, w.requested_by, w.requested_day, w.requested_enc, w.status,
              u.dek_wrapped, u.username_enc
         FROM pending_withdrawals w JOIN users u ON u.id = w.requested_by
        WHERE w.status IN ('pending', 'confirmed')`,
    );
    return rows
      .map((r) => ({
        id: r.id,
        scopes: r.scopes,
        requestedBy: r.requested_by,
        requestedByUsername: this.names.open(r.requested_by, r.dek_wrapped, r.username_enc),
        requestedAt: this.times.open(
          { table: 'pending_withdrawals', id: r.id, column: 'requested' },
          r.requested_enc,
          r.requested_day,
        ),
        status: r.status,
        notBefore: new Date(r.requested_day.getTime() + 2 * DAY_MS),
      }))
      .sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
  }

  /** A coordinator decides; a decided request is not decided again (404, like a missing one). */
  async decide(actor: Actor, id: string, decision: 'confirmed' | 'rejected'): Promise<void> {
    await this.access.requireCapability(actor, 'withdrawal:confirm', {
      type: 'pending_withdrawal',
      id,
    });
    const updated: unknown = await this.db.query(
      `UPDATE pending_withdrawals SET status = $2, decided_by = $3, decided_day = $4
        WHERE id = $1 AND status = 'pending' AND requested_by <> $3 RETURNING id`,
      [id, decision, actor.userId, this.times.today()],
    );
    if (rowsOf(updated).length === 0) throw new AccessException(AccessError.NotFound);
    await this.audit.record({
      actorId: actor.userId,
      action: `withdrawal.${decision === 'confirmed' ? 'confirm' : 'reject'}`,
      recordType: 'pending_withdrawal',
      recordId: id,
      outcome: 'success',
    });
  }

  /**
   * Applies every confirmed request whose wait is over (the worker, minutely). Returns how
   * many were applied.
   */
  async applyDue(now: Date = this.times.now()): Promise<number> {
    const due: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM pending_withdrawals
        WHERE status = 'confirmed' AND requested_day + interval '2 days' <= $1 ORDER BY id`,
      [now],
    );
    for (const { id } of due)
      await this.db.transaction(async (em) => {
        const [row]: Array<{
          caller_enc: Buffer;
          scopes: ConsentScope[];
          decided_by: string;
        }> = await em.query(
          `SELECT caller_enc, scopes, decided_by FROM pending_withdrawals
            WHERE id = $1 AND status = 'confirmed' FOR UPDATE SKIP LOCKED`,
          [id],
        );
        if (!row) return;
        const callerId = this.openCaller(id, row.caller_enc);
        const contactIds = (await this.callers.contactIdsOf(em, callerId, true)) ?? [];
        await this.effects.apply(em, row.decided_by, callerId, contactIds, row.scopes, {
          callerToo: true,
        });
        await em.query(
          `UPDATE pending_withdrawals SET status = 'applied', caller_enc = '\\x'::bytea WHERE id = $1`,
          [id],
        );
        await this.audit.record(
          {
            actorId: row.decided_by,
            action: 'caller:consent-withdraw',
            recordType: 'caller',
            recordId: callerId,
            outcome: 'success',
            reason: `confirmed:${row.scopes.join(',')}`,
          },
          em,
        );
      });
    return due.length;
  }

  private key() {
    return this.hash.derivedDataKey('mayak:pending-withdrawals:v1');
  }

  private sealCaller(id: string, callerId: string): Buffer {
    return this.cipher.encrypt(
      this.key(),
      { table: 'pending_withdrawals', id, column: 'caller' },
      callerId,
    );
  }

  private openCaller(id: string, sealed: Buffer): string {
    return this.cipher.decrypt(
      this.key(),
      { table: 'pending_withdrawals', id, column: 'caller' },
      sealed,
    );
  }
}
