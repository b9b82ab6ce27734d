import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  AccessControl,
  AccessError,
  AccessException,
  caseScopeSql,
  couldEverAllow,
  SERVICE_ROLE,
} from '@mayak/access';
import { AuditTrail } from '@mayak/audit';
import { Actor, StaffNames } from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import { AppConfig, DecryptionError, EnvelopeCipher, ExactTimes } from '@mayak/platform';
import { StaffLoad } from '@mayak/staffing';
import { DataSource, EntityManager } from 'typeorm';
import { CaseError, CaseException } from './case.exception';
import { addEvent, caseMoment } from './case-facts';
import { handoverTime, openNote, sealNote } from './follow-work';
import { CaseLifecycleService, CaseStatusView } from './case-lifecycle.service';
import { CaseTransaction } from './case-transaction';

export interface Colleague {
  userId: string;
  username: string;
}

export interface HandoverView {
  id: string;
  fromId: string;
  fromName: string | null;
  toId: string;
  toName: string | null;
  /** The sender's note, sealed at rest like a case note. */
  note: string | null;
  offeredAt: Date;
}

export interface IncomingHandover {
  handoverId: string;
  caseId: string;
  service: string;
  priority: number;
  fromId: string;
  fromName: string | null;
  offeredAt: Date;
}

interface HandoverRow {
  id: string;
  case_id: string;
  from_id: string;
  to_id: string;
  created_at: Date;
  created_enc: Buffer;
  dek_wrapped: Buffer | null;
  note_enc: Buffer | null;
}

/**
 * Handovers: a case's specialist offers it to a colleague of the same service, with a note.
 * Until the colleague answers, the policy shows them only what they need to decide
 * (CASE_FIELDS.handover); accepting makes the case theirs, refusing leaves it with the
 * sender, who is told. Every step goes through CaseTransaction, so it is audited.
 */
@Injectable()
export class CaseHandovers {
  constructor(
    private readonly db: DataSource,
    private readonly tx: CaseTransaction,
    private readonly access: AccessControl,
    private readonly cipher: EnvelopeCipher,
    private readonly times: ExactTimes,
    private readonly audit: AuditTrail,
    private readonly names: StaffNames,
    private readonly notifications: NotificationsService,
    private readonly lifecycle: CaseLifecycleService,
    private readonly load: StaffLoad,
    private readonly config: AppConfig,
  ) {}

  /** Whom the case's assignee may hand it to: enabled colleagues who serve its service. */
  colleagues(actor: Actor, caseId: string): Promise<Colleague[]> {
    return this.tx.run(actor, 'case:hand-over', caseId, async (em, { row }) => {
      const rows: Array<{ id: string; dek_wrapped: Buffer; username_enc: Buffer }> = await em.query(
        `SELECT id, dek_wrapped, username_enc FROM users
            WHERE disabled_at IS NULL AND $1 = ANY(roles) AND id <> $2`,
        [SERVICE_ROLE[row.service], actor.userId],
      );
      return rows
        .map((r) => ({
          userId: r.id,
          username: this.names.open(r.id, r.dek_wrapped, r.username_enc),
        }))
        .sort((a, b) => a.username.localeCompare(b.username));
    });
  }

  offer(actor: Actor, caseId: string, toId: string, note: string): Promise<{ id: string }> {
    return this.tx.run(actor, 'case:hand-over', caseId, async (em, { row, facts }) => {
      if (row.status !== 'assigned' && row.status !== 'in_progress')
        throw new CaseException(CaseError.InvalidState);
      if (facts.handoverRecipientId) throw new CaseException(CaseError.HandoverPending);
      const colleague: unknown[] = await em.query(
        `SELECT 1 FROM users WHERE id = $1 AND disabled_at IS NULL AND $2 = ANY(roles) AND id <> $3`,
        [toId, SERVICE_ROLE[row.service], actor.userId],
      );
      if (colleague.length === 0) throw new CaseException(CaseError.InvalidColleague);
      const id = randomUUID();
      const created = this.times.seal(handoverTime(id, 'created_at'));
      const [dek, sealed] = sealNote(this.cipher, 'case_handovers', id, note);
      await em.query(
        `INSERT INTO case_handovers (id, case_id, from_id, to_id, status, created_at, created_enc, dek_wrapped, note_enc)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8)`,
        [id, caseId, actor.userId, toId, created.week, created.sealed, dek, sealed],
      );
      await addEvent(em, this.times, caseId, actor.userId, 'handover_offered', { to: toId });
      await this.notifications.create(em, [
        { userId: toId, type: 'handover_offered', caseId, dedupeKey: `handover-offered-${id}` },
      ]);
      return { id };
    });
  }

  /** The colleague takes the case: it is theirs, in progress, with its follow-ups. */
  accept(actor: Actor, caseId: string): Promise<CaseStatusView> {
    return this.tx.run(actor, 'case:handover:accept', caseId, async (em, { row }) => {
      const handover = await this.answer(em, caseId, actor.userId, 'accepted');
      if (row.assignee_id) await this.load.adjust(em, row.assignee_id, -1);
      await this.lifecycle.assign(em, row, actor.userId, actor.userId, 'handed_over', {
        from: handover.from_id,
        to: actor.userId,
      });
      await em.query(
        `UPDATE cases SET status = 'in_progress', updated_at = $2, updated_enc = $3 WHERE id = $1`,
        [caseId, ...caseMoment(this.times, caseId, 'updated_at', this.times.now())],
      );
      return { id: caseId, status: 'in_progress', assigneeId: actor.userId };
    });
  }

  /** The colleague says no: the case stays with the sender, who is told. */
  refuse(actor: Actor, caseId: string): Promise<CaseStatusView> {
    return this.tx.run(actor, 'case:handover:refuse', caseId, async (em, { row }) => {
      const handover = await this.answer(em, caseId, actor.userId, 'refused');
      await this.notifications.create(em, [
        {
          userId: handover.from_id,
          type: 'handover_refused',
          caseId,
          dedupeKey: `handover-refused-${handover.id}`,
        },
      ]);
      return { id: caseId, status: row.status, assigneeId: row.assignee_id };
    });
  }

  /** Cases offered to the actor and not answered yet: metadata, no notes. */
  async incoming(actor: Actor): Promise<IncomingHandover[]> {
    const action = 'case:list-handovers';
    if (!couldEverAllow(actor, action)) {
      await this.audit.record({ actorId: actor.userId, action, outcome: 'deny', reason: 'role' });
      throw new AccessException(AccessError.Forbidden);
    }
    const scope = caseScopeSql(actor, action);
    const rows: Array<
      HandoverRow & { service: string; priority: number; user_dek: Buffer; username_enc: Buffer }
    > = await this.db.query(
      `SELECT h.id, h.case_id, h.from_id, h.created_at, h.created_enc, c.service, c.priority,
              u.dek_wrapped AS user_dek, u.username_enc
         FROM case_handovers h JOIN cases c ON c.id = h.case_id JOIN users u ON u.id = h.from_id
        WHERE h.status = 'pending' AND h.to_id = $${scope.params.length + 1} AND ${scope.sql}
        ORDER BY h.created_at LIMIT 200`,
      [...scope.params, actor.userId],
    );
    await this.access.recordList(actor, action, rows.length);
    return rows
      .map((r) => ({
        handoverId: r.id,
        caseId: r.case_id,
        service: r.service,
        priority: r.priority,
        fromId: r.from_id,
        fromName: this.nameOf(r.from_id, r.user_dek, r.username_enc),
        offeredAt: this.offeredAt(r),
      }))
      .sort((a, b) => a.offeredAt.getTime() - b.offeredAt.getTime());
  }

  /** The case's pending handover, for a reader the policy allowed to see it; else null. */
  async pendingOf(caseId: string, readerId: string): Promise<HandoverView | null> {
    const rows: Array<
      HandoverRow & {
        from_dek: Buffer;
        from_name: Buffer;
        to_dek: Buffer;
        to_name: Buffer;
      }
    > = await this.db.query(
      `SELECT h.*, f.dek_wrapped AS from_dek, f.username_enc AS from_name,
              t.dek_wrapped AS to_dek, t.username_enc AS to_name
         FROM case_handovers h JOIN users f ON f.id = h.from_id JOIN users t ON t.id = h.to_id
        WHERE h.case_id = $1 AND h.status = 'pending'`,
      [caseId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      fromId: row.from_id,
      fromName: this.nameOf(row.from_id, row.from_dek, row.from_name),
      toId: row.to_id,
      toName: this.nameOf(row.to_id, row.to_dek, row.to_name),
      note: await openNote(
        this.cipher,
        this.audit,
        readerId,
        'case_handovers',
        row.id,
        row.dek_wrapped,
        row.note_enc,
      ),
      offeredAt: this.offeredAt(row),
    };
  }

  /**
   * Handovers offered HANDOVER_ANSWER_HOURS ago or more and still unanswered, of the cases
   * `scopeSql` allows (on `cases c`): metadata only.
   */
  async unansweredInScope(
    scopeSql: string,
    params: unknown[],
  ): Promise<
    Array<{
      id: string;
      caseId: string;
      service: string;
      fromId: string;
      toId: string;
      offeredAt: Date;
    }>
  > {
    const rows: Array<HandoverRow & { service: string }> = await this.db.query(
      `SELECT h.id, h.case_id, h.from_id, h.to_id, h.created_at, h.created_enc, c.service
         FROM case_handovers h JOIN cases c ON c.id = h.case_id
        WHERE h.status = 'pending' AND ${scopeSql}
        ORDER BY h.created_at LIMIT 500`,
      params,
    );
    const limit = this.times.now().getTime() - this.config.HANDOVER_ANSWER_HOURS * 3_600_000;
    return rows
      .map((r) => ({
        id: r.id,
        caseId: r.case_id,
        service: r.service,
        fromId: r.from_id,
        toId: r.to_id,
        offeredAt: this.offeredAt(r),
      }))
      .filter((h) => h.offeredAt.getTime() <= limit)
      .sort((a, b) => a.offeredAt.getTime() - b.offeredAt.getTime());
  }

  private async answer(
    em: EntityManager,
    caseId: string,
    userId: string,
    status: 'accepted' | 'refused',
  ): Promise<{ id: string; from_id: string }> {
    const pending: Array<{ id: string; from_id: string }> = await em.query(
      `SELECT id, from_id FROM case_handovers WHERE case_id = $1 AND to_id = $2 AND status = 'pending'`,
      [caseId, userId],
    );
    // The policy let the actor in as the recipient, under the case's lock: the row is there.
    const handover = pending[0];
    if (!handover) throw new CaseException(CaseError.InvalidState);
    const answered = this.times.seal(handoverTime(handover.id, 'answered_at'));
    await em.query(
      `UPDATE case_handovers SET status = $2, answered_at = $3, answered_enc = $4 WHERE id = $1`,
      [handover.id, status, answered.week, answered.sealed],
    );
    await addEvent(em, this.times, caseId, userId, `handover_${status}`, {
      from: handover.from_id,
    });
    return handover;
  }

  private offeredAt(row: Pick<HandoverRow, 'id' | 'created_at' | 'created_enc'>): Date {
    return this.times.open(handoverTime(row.id, 'created_at'), row.created_enc, row.created_at);
  }

  private nameOf(userId: string, dek: Buffer | null, sealed: Buffer | null): string | null {
    if (!dek || !sealed) return null;
    try {
      return this.names.open(userId, dek, sealed);
    } catch (error) {
      // One damaged name must not take the list down; the case itself is unaffected.
      if (error instanceof DecryptionError) return null;
      throw error;
    }
  }
}
