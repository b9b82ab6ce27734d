import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl, caseScopeSql } from '@mayak/access';
import {
  addEvent,
  CASE_FACTS_COLUMNS,
  CASE_FACTS_JOIN,
  caseAttributes,
  CaseLifecycleService,
  CaseNotesService,
  pageTimeBinding,
  CaseOpening,
  CaseTransaction,
} from '@mayak/cases';
import { Actor } from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import { Clock, EnvelopeCipher, ExactTimes } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { EmergencyError, EmergencyException } from './emergency.exception';
import { RotaService } from './rota.service';

/** Break-glass access lasts this long. */
export const BREAK_GLASS_MS = 60 * 60 * 1000;

export interface EmergencyBoardEntry {
  id: string;
  status: string;
  region: string | null;
  createdAt: Date;
  tier: number;
  round: number;
  pagedAt: Date;
  /** When the current tier's SLA runs out (null once acknowledged). */
  ackDueAt: Date | null;
  acknowledgedAt: Date | null;
  assigneeId: string | null;
  /** Whether the caller consented to emergency help (without it: break-glass to see details). */
  consented: boolean;
}

/** What responders do with an emergency: see the board, acknowledge, break the glass; and how a case becomes one. */
@Injectable()
export class EmergencyActionsService {
  constructor(
    private readonly db: DataSource,
    private readonly tx: CaseTransaction,
    private readonly lifecycle: CaseLifecycleService,
    private readonly access: AccessControl,
    private readonly opening: CaseOpening,
    private readonly notes: CaseNotesService,
    private readonly notifications: NotificationsService,
    private readonly rota: RotaService,
    private readonly cipher: EnvelopeCipher,
    private readonly clock: Clock,
    private readonly times: ExactTimes,
  ) {}

  /** Open emergencies the actor was paged for or holds, newest first, with their SLA clock. */
  async board(actor: Actor): Promise<EmergencyBoardEntry[]> {
    await this.access.requireCapability(actor, 'emergency:board');
    const scope = caseScopeSql(actor, 'case:acknowledge');
    const rows: Array<{
      id: string;
      status: string;
      contact_id: string;
      facts_dek_wrapped: Buffer;
      facts_enc: Buffer;
      created_at: Date;
      created_enc: Buffer | null;
      tier: number;
      round: number;
      paged_at: Date;
      paged_enc: Buffer | null;
      due_at: Date;
      due_enc: Buffer | null;
      acknowledged_at: Date | null;
      acknowledged_enc: Buffer | null;
      assignee_id: string | null;
      consented: boolean;
    }> = await this.db.query(
      `SELECT c.id, c.status, c.contact_id, ${CASE_FACTS_COLUMNS}, c.created_at, c.created_enc,
              p.tier, p.round, p.paged_at, p.paged_enc, p.due_at, p.due_enc,
              c.acknowledged_at, c.acknowledged_enc, c.assignee_id,
              EXISTS (SELECT 1 FROM consents cs WHERE cs.contact_id = c.contact_id
                       AND 'service:emergency' = ANY(cs.scopes) AND NOT ('service:emergency' = ANY(cs.withdrawn_scopes))) AS consented
         FROM cases c ${CASE_FACTS_JOIN}
         JOIN LATERAL (SELECT tier, round, paged_at, paged_enc, due_at, due_enc FROM emergency_pages p
                        WHERE p.case_id = c.id ORDER BY round DESC, tier DESC LIMIT 1) p ON true
        WHERE c.service = 'emergency' AND c.status <> 'closed'
          AND (${scope.sql} OR c.assignee_id = $${scope.params.length + 1}::uuid)
        ORDER BY c.created_at DESC LIMIT 200`,
      [...scope.params, actor.userId],
    );
    await this.access.recordList(actor, 'emergency:board', rows.length);
    // SQL ordered by the day (all open work keeps in the clear); the exact order is sealed.
    return rows
      .map((r) => ({
        id: r.id,
        status: r.status,
        region: caseAttributes(this.cipher, r).region,
        createdAt: this.times.open(
          { table: 'cases', id: r.id, column: 'created_at' },
          r.created_enc,
          r.created_at,
        ),
        tier: r.tier,
        round: r.round,
        pagedAt: this.times.open(
          pageTimeBinding(r.id, r.tier, r.round, 'paged_at'),
          r.paged_enc,
          r.paged_at,
        ),
        ackDueAt: r.acknowledged_at
          ? null
          : this.times.open(pageTimeBinding(r.id, r.tier, r.round, 'due_at'), r.due_enc, r.due_at),
        acknowledgedAt: this.times.open(
          { table: 'cases', id: r.id, column: 'acknowledged_at' },
          r.acknowledged_enc,
          r.acknowledged_at,
        ),
        assigneeId: r.assignee_id,
        consented: r.consented,
      }))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  /** A paged responder takes the emergency: the SLA clock stops and the case is theirs. */
  acknowledge(
    actor: Actor,
    caseId: string,
  ): Promise<{ id: string; status: string; assigneeId: string }> {
    return this.tx.run(actor, 'case:acknowledge', caseId, async (em, { row }) => {
      if (row.status === 'closed') throw new EmergencyException(EmergencyError.CaseClosed);
      if (row.acknowledged_at) throw new EmergencyException(EmergencyError.AlreadyAcknowledged);
      await this.lifecycle.acknowledged(em, caseId, actor.userId);
      return { id: caseId, status: 'assigned', assigneeId: actor.userId };
    });
  }

  /**
   * A responder who must see what the consent does not cover (the caller could not consent)
   * opens the case with a written reason: an hour's access, coordinators notified, and every
   * use marked as break-glass in the audit trail.
   */
  async breakGlass(actor: Actor, caseId: string, reason: string): Promise<{ expiresAt: Date }> {
    // Before the case is looked at, so the answer says nothing about it (12.4).
    await this.access.requireRecentAuthentication(actor, 'case:break-glass', {
      type: 'case',
      id: caseId,
    });
    return this.tx.run(
      actor,
      'case:break-glass',
      caseId,
      async (em, { row }) => {
        if (row.status === 'closed') throw new EmergencyException(EmergencyError.CaseClosed);
        const id = randomUUID();
        const grantedAt = this.clock.now();
        const expiresAt = new Date(grantedAt.getTime() + BREAK_GLASS_MS);
        const dek = this.cipher.newDataKey('break_glass_grants', id);
        await em.query(
          `INSERT INTO break_glass_grants (id, case_id, user_id, dek_wrapped, reason_enc, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            id,
            caseId,
            actor.userId,
            dek.wrapped,
            this.cipher.encrypt(dek, { table: 'break_glass_grants', id, column: 'reason' }, reason),
            grantedAt,
            expiresAt,
          ],
        );
        await addEvent(em, this.times, caseId, actor.userId, 'break_glass', { grantId: id });
        const coordinators = await this.rota.allCoordinators(em);
        await this.notifications.create(
          em,
          coordinators.map((userId) => ({
            userId,
            type: 'break_glass',
            caseId,
            dedupeKey: `break-glass-${id}-${userId}`,
          })),
        );
        return { expiresAt };
      },
      { breakGlass: true },
    );
  }

  /**
   * Raises an emergency from an existing case (a volunteer who logged the call, or the
   * case's lawyer or psychologist). The emergency is a case of its own, sealed from the
   * original; the reason is its first, encrypted, note. Escalating twice gives the same one.
   */
  escalate(actor: Actor, caseId: string, reason: string): Promise<{ emergencyCaseId: string }> {
    return this.tx.run(actor, 'case:escalate', caseId, async (em, { row }) => {
      if (row.status === 'closed') throw new EmergencyException(EmergencyError.CaseClosed);
      const open: Array<{ id: string }> = await em.query(
        `SELECT id FROM cases WHERE escalated_from = $1 AND status <> 'closed' LIMIT 1`,
        [caseId],
      );
      if (open[0]) return { emergencyCaseId: open[0].id };
      const [emergencyCaseId] = await this.opening.open(em, {
        contactId: row.contact_id,
        services: ['emergency'],
        openedBy: actor.userId,
      });
      await em.query(`UPDATE cases SET escalated_from = $2 WHERE id = $1`, [
        emergencyCaseId,
        caseId,
      ]);
      await this.notes.write(em, emergencyCaseId, actor.userId, reason);
      await addEvent(em, this.times, caseId, actor.userId, 'escalated', { emergencyCaseId });
      await addEvent(em, this.times, emergencyCaseId, actor.userId, 'escalated', {
        fromCaseId: caseId,
      });
      return { emergencyCaseId };
    });
  }
}
