import { Injectable } from '@nestjs/common';
import { AssigneeGrant, mayReassignTo, Service, servicesOf } from '@mayak/access';
import { Actor, Role } from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import {
  AppConfig,
  countOf,
  countUp,
  ExactTimes,
  job,
  OutboxWriter,
  preparedStatement,
  runPrepared,
} from '@mayak/platform';
import { StaffLoad } from '@mayak/staffing';
import { EntityManager } from 'typeorm';
import { CaseError, CaseException } from './case.exception';
import { addEvent, caseMoment, CaseRow } from './case-facts';
import { CaseServiceRegistry } from './case-services';
import { CaseTransaction } from './case-transaction';
import { cancelFollowUps, withdrawHandovers } from './follow-work';

export const CASE_OUTCOMES = [
  'resolved',
  'referred_out',
  'no_contact',
  'declined_by_caller',
  'other',
] as const;
export type CaseOutcome = (typeof CASE_OUTCOMES)[number];

export interface CaseStatusView {
  id: string;
  status: string;
  assigneeId: string | null;
}

/**
 * The cases of an assignment (routing's batches, or one case) set to their assignee, each with
 * its timeline entry, in one statement whose text does not grow with the batch.
 */
const ASSIGN_MANY = preparedStatement(
  'cases.assign-many',
  `WITH v AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::bytea[], $6::bytea[], $7::bytea[])
           AS v (id, assignee_id, detail, day, assigned_enc, updated_enc, at_enc)),
       assigned AS (
         UPDATE cases c SET status = 'assigned', assignee_id = v.assignee_id, assigned_at = v.day,
                assigned_enc = v.assigned_enc, updated_at = v.day, updated_enc = v.updated_enc
           FROM v WHERE c.id = v.id RETURNING c.id)
       INSERT INTO case_events (case_id, actor_id, type, detail, at, at_enc)
       SELECT v.id, $8::uuid, $9, v.detail::jsonb, v.day, v.at_enc FROM v JOIN assigned a ON a.id = v.id`,
);

/**
 * The shared lifecycle of every service's cases: queued → assigned → in_progress → closed,
 * or declined back to queued (and to routing, never to the same person again).
 */
@Injectable()
export class CaseLifecycleService {
  constructor(
    private readonly tx: CaseTransaction,
    private readonly load: StaffLoad,
    private readonly outbox: OutboxWriter,
    private readonly services: CaseServiceRegistry,
    private readonly times: ExactTimes,
    private readonly config: AppConfig,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * Takes a case from the pool. Of two simultaneous claims exactly one wins; the other finds
   * the case no longer in the pool and gets 404, as for any case that is not theirs to claim.
   */
  claim(actor: Actor, caseId: string): Promise<CaseStatusView> {
    return this.tx.run(actor, 'case:claim', caseId, async (em, { row }) => {
      const declined = await countOf(em, actor.userId, 'case_decline', 'day');
      if (declined >= this.config.CASE_DECLINES_PER_DAY)
        throw new CaseException(CaseError.TooManyDeclines);
      await this.assign(em, row, actor.userId, actor.userId, 'claimed');
      return { id: caseId, status: 'assigned', assigneeId: actor.userId };
    });
  }

  accept(actor: Actor, caseId: string): Promise<CaseStatusView> {
    return this.tx.run(actor, 'case:accept', caseId, async (em, { row }) => {
      if (row.status !== 'assigned') throw new CaseException(CaseError.InvalidState);
      await em.query(
        `UPDATE cases SET status = 'in_progress', updated_at = $2, updated_enc = $3 WHERE id = $1`,
        [caseId, ...caseMoment(this.times, caseId, 'updated_at', this.times.now())],
      );
      await addEvent(em, this.times, caseId, actor.userId, 'accepted');
      return { id: caseId, status: 'in_progress', assigneeId: actor.userId };
    });
  }

  /**
   * Back to the pool and to routing; the decliner is never offered this case again, and cannot
   * claim it back (a coordinator can assign it to them). Declines are counted per person and
   * day: at CASE_DECLINES_PER_DAY the coordinators are told, and the pool is closed to the
   * person for the rest of the day.
   */
  decline(actor: Actor, caseId: string): Promise<CaseStatusView> {
    return this.tx.run(actor, 'case:decline', caseId, async (em, { row }) => {
      if (row.status !== 'assigned' && row.status !== 'in_progress')
        throw new CaseException(CaseError.InvalidState);
      const declines = await countUp(em, actor.userId, 'case_decline', 'day');
      if (declines?.count === this.config.CASE_DECLINES_PER_DAY)
        await this.notifications.aboutStaffToCoordinators(
          em,
          'decline_burst',
          actor.userId,
          declines.windowStart.toISOString(),
        );
      await em.query(
        `UPDATE cases SET status = 'queued', assignee_id = NULL, assigned_at = NULL, assigned_enc = NULL,
                declined_by = array_append(declined_by, $2::uuid), updated_at = $3, updated_enc = $4
          WHERE id = $1`,
        [caseId, actor.userId, ...caseMoment(this.times, caseId, 'updated_at', this.times.now())],
      );
      await this.load.adjust(em, actor.userId, -1);
      await withdrawHandovers(em, this.times, caseId);
      await addEvent(em, this.times, caseId, actor.userId, 'declined');
      await this.outbox.add(em, [job('routing', 'route-case', { caseId })]);
      return { id: caseId, status: 'queued', assigneeId: null };
    });
  }

  close(actor: Actor, caseId: string, outcome: CaseOutcome): Promise<CaseStatusView> {
    return this.tx.run(actor, 'case:close', caseId, async (em, { row }) => {
      if (row.status !== 'assigned' && row.status !== 'in_progress')
        throw new CaseException(CaseError.InvalidState);
      const now = this.times.now();
      await em.query(
        `UPDATE cases SET status = 'closed', outcome = $2, closed_at = $3, closed_enc = $4,
                updated_at = $5, updated_enc = $6
          WHERE id = $1`,
        [
          caseId,
          outcome,
          ...caseMoment(this.times, caseId, 'closed_at', now),
          ...caseMoment(this.times, caseId, 'updated_at', now),
        ],
      );
      await this.load.adjust(em, actor.userId, -1);
      await cancelFollowUps(em, this.times, caseId);
      await withdrawHandovers(em, this.times, caseId);
      await addEvent(em, this.times, caseId, actor.userId, 'closed', { outcome });
      return { id: caseId, status: 'closed', assigneeId: actor.userId };
    });
  }

  /** A coordinator moves a case to someone else, or (null) back to the pool. */
  reassign(actor: Actor, caseId: string, userId: string | null): Promise<CaseStatusView> {
    return this.tx.run(actor, 'case:reassign', caseId, async (em, { row }) => {
      if (row.status === 'closed') throw new CaseException(CaseError.InvalidState);
      const target = userId === null ? null : await this.assigneeOf(em, userId);
      const verdict = mayReassignTo(actor, target && target.grant);
      if (!verdict.allowed)
        throw new CaseException(
          verdict.reason === 'self' ? CaseError.SelfAssignment : CaseError.GranterAssignment,
        );
      if (row.assignee_id === userId) return { id: caseId, status: row.status, assigneeId: userId };
      if (target && !target.serves.includes(row.service))
        throw new CaseException(CaseError.InvalidAssignee);
      if (row.assignee_id) await this.load.adjust(em, row.assignee_id, -1);
      // The case leaves its assignee: an offer they made to a colleague is void.
      await withdrawHandovers(em, this.times, caseId);
      if (userId === null) {
        await em.query(
          `UPDATE cases SET status = 'queued', assignee_id = NULL, assigned_at = NULL, assigned_enc = NULL,
                  updated_at = $2, updated_enc = $3
            WHERE id = $1`,
          [caseId, ...caseMoment(this.times, caseId, 'updated_at', this.times.now())],
        );
        await addEvent(em, this.times, caseId, actor.userId, 'reassigned', {
          from: row.assignee_id,
          to: null,
        });
        return { id: caseId, status: 'queued', assigneeId: null };
      }
      await this.assign(em, row, userId, actor.userId, 'reassigned', {
        from: row.assignee_id,
        to: userId,
      });
      return { id: caseId, status: 'assigned', assigneeId: userId };
    });
  }

  /**
   * A paged responder's acknowledgement, inside the caller's transaction (the emergency's own
   * rules checked by the caller): the case is theirs, and its SLA clock stops.
   */
  async acknowledged(em: EntityManager, caseId: string, userId: string): Promise<void> {
    const now = this.times.now();
    const [day, assigned] = caseMoment(this.times, caseId, 'assigned_at', now);
    const [, acknowledged] = caseMoment(this.times, caseId, 'acknowledged_at', now);
    const [, updated] = caseMoment(this.times, caseId, 'updated_at', now);
    await em.query(
      `UPDATE cases SET status = 'assigned', assignee_id = $2, assigned_at = $3, assigned_enc = $4,
              acknowledged_at = $3, acknowledged_enc = $5, updated_at = $3, updated_enc = $6
        WHERE id = $1`,
      [caseId, userId, day, assigned, acknowledged, updated],
    );
    await this.load.adjust(em, userId, 1);
    await addEvent(em, this.times, caseId, userId, 'acknowledged');
  }

  /**
   * Closes, as withdrawn, the open cases of these contacts for these services, inside the
   * caller's transaction (the withdrawal, whose access it has checked): times as every
   * closing writes them (the day, the exact moment sealed), the assignees' load, the timeline.
   * Returns the cases closed.
   */
  async closeWithdrawn(
    em: EntityManager,
    actorId: string,
    contactIds: readonly string[],
    services: readonly Service[],
    scopes: readonly string[],
  ): Promise<string[]> {
    if (services.length === 0) return [];
    const open: Array<{ id: string; assignee_id: string | null }> = await em.query(
      `SELECT id, assignee_id FROM cases
        WHERE contact_id = ANY($1::uuid[]) AND service = ANY($2::text[]) AND status <> 'closed'
        ORDER BY id FOR UPDATE`,
      [contactIds, services],
    );
    const now = this.times.now();
    for (const c of open) {
      await em.query(
        `UPDATE cases SET status = 'closed', outcome = 'withdrawn', closed_at = $2, closed_enc = $3,
                updated_at = $4, updated_enc = $5
          WHERE id = $1`,
        [
          c.id,
          ...caseMoment(this.times, c.id, 'closed_at', now),
          ...caseMoment(this.times, c.id, 'updated_at', now),
        ],
      );
      if (c.assignee_id) await this.load.adjust(em, c.assignee_id, -1);
      await cancelFollowUps(em, this.times, c.id);
      await withdrawHandovers(em, this.times, c.id);
      await addEvent(em, this.times, c.id, actorId, 'withdrawn', { scopes: scopes.join(',') });
    }
    return open.map((c) => c.id);
  }

  /**
   * Assigns inside the caller's transaction: status, load, timeline, and the assignee's
   * notification where the service tells them. Used by claim, reassign and routing alike.
   */
  async assign(
    em: EntityManager,
    row: Pick<CaseRow, 'id' | 'service'>,
    assigneeId: string,
    actorId: string | null,
    event: 'assigned' | 'claimed' | 'reassigned' | 'handed_over',
    detail: Record<string, string | null> = { assigneeId },
  ): Promise<void> {
    await this.assignMany(em, [{ row, assigneeId, detail }], actorId, event);
  }

  /**
   * `assign` for several cases at once (routing's batches): every case's status and timeline
   * entry in one statement, every notification in one more, whatever their number.
   */
  async assignMany(
    em: EntityManager,
    assignments: ReadonlyArray<{
      row: Pick<CaseRow, 'id' | 'service'>;
      assigneeId: string;
      detail?: Record<string, string | null>;
    }>,
    actorId: string | null,
    event: 'assigned' | 'claimed' | 'reassigned' | 'handed_over',
  ): Promise<void> {
    if (assignments.length === 0) return;
    const now = this.times.now();
    const sealed = assignments.map(({ row }) => {
      const [day, assigned] = caseMoment(this.times, row.id, 'assigned_at', now);
      const [, updated] = caseMoment(this.times, row.id, 'updated_at', now);
      const at = this.times.seal({ table: 'case_events', id: row.id, column: 'at' }, now);
      return { day, assigned, updated, at: at.sealed };
    });
    await runPrepared(em, ASSIGN_MANY, [
      assignments.map((a) => a.row.id),
      assignments.map((a) => a.assigneeId),
      assignments.map((a) => JSON.stringify(a.detail ?? { assigneeId: a.assigneeId })),
      sealed.map((s) => s.day),
      sealed.map((s) => s.assigned),
      sealed.map((s) => s.updated),
      sealed.map((s) => s.at),
      actorId,
      event,
    ]);
    // Routing reserved the load already.
    if (event !== 'assigned')
      for (const { assigneeId } of assignments) await this.load.adjust(em, assigneeId, 1);
    // Told in the same transaction: a notify job of its own would cost the worker a second
    // job, transaction and commit for every case routed. The unique key (user, type, case)
    // keeps a second assignment to the same person from telling them twice.
    await this.notifications.create(
      em,
      assignments
        .filter(({ row }) => this.services.get(row.service).notifiesAssignee)
        .map(({ row, assigneeId }) => ({
          userId: assigneeId,
          type: 'case_assigned' as const,
          caseId: row.id,
          dedupeKey: `case-assigned-${row.id}-${assigneeId}`,
        })),
    );
  }

  /**
   * What a reassignment needs of its target, in one read: how fresh its roles are (for
   * mayReassignTo) and the services it serves (none when it is disabled or does not exist).
   */
  private async assigneeOf(
    em: EntityManager,
    userId: string,
  ): Promise<{ grant: AssigneeGrant; serves: Service[] }> {
    const rows: Array<{
      roles: Role[];
      disabled: boolean;
      created_at: Date;
      roles_granted_at: Date;
      roles_granted_by: string | null;
      roles_confirmed_by: string | null;
    }> = await em.query(
      `SELECT roles, disabled_at IS NOT NULL AS disabled, created_at, roles_granted_at, roles_granted_by,
              roles_confirmed_by
         FROM users WHERE id = $1`,
      [userId],
    );
    const row = rows[0];
    if (!row)
      return {
        grant: {
          userId,
          createdAt: new Date(0),
          rolesGrantedAt: new Date(0),
          rolesGrantedBy: null,
        },
        serves: [],
      };
    return {
      grant: {
        userId,
        createdAt: row.created_at,
        rolesGrantedAt: row.roles_granted_at,
        rolesGrantedBy: row.roles_granted_by,
        rolesConfirmedBy: row.roles_confirmed_by,
      },
      serves: row.disabled ? [] : servicesOf(row.roles),
    };
  }
}
