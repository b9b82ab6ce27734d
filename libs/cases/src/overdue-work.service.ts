import { Injectable } from '@nestjs/common';
import {
  AccessControl,
  AccessError,
  AccessException,
  caseScopeSql,
  couldEverAllow,
} from '@mayak/access';
import { AuditTrail } from '@mayak/audit';
import { Actor } from '@mayak/identity';
import { DataSource } from 'typeorm';
import { CaseFollowUps } from './case-follow-ups.service';
import { CaseHandovers } from './case-handovers.service';

export interface OverdueWork {
  /** Open follow-ups whose day has come (`overdue`: the day is over), with their case's owner. */
  followUps: Array<{
    id: string;
    caseId: string;
    service: string;
    assigneeId: string | null;
    dueOn: string;
    overdue: boolean;
  }>;
  /** Handovers left unanswered for HANDOVER_ANSWER_HOURS or more. */
  handovers: Array<{
    id: string;
    caseId: string;
    service: string;
    fromId: string;
    toId: string;
    offeredAt: Date;
  }>;
}

/**
 * What coordinators see is slipping: follow-ups whose day has come and that nobody marked
 * done, handovers nobody answered. Metadata only, under the board's own scope (the one
 * policy), never a note.
 */
@Injectable()
export class OverdueWorkService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly followUps: CaseFollowUps,
    private readonly handovers: CaseHandovers,
  ) {}

  async list(actor: Actor): Promise<OverdueWork> {
    const action = 'case:list-board';
    if (!couldEverAllow(actor, action)) {
      await this.audit.record({
        actorId: actor.userId,
        action: 'case:list-overdue',
        outcome: 'deny',
        reason: 'role',
      });
      throw new AccessException(AccessError.Forbidden);
    }
    const scope = caseScopeSql(actor, action);
    const due = await this.followUps.dueInScope(scope.sql, scope.params);
    const owners = await this.ownersOf(due.map((f) => f.caseId));
    const handovers = await this.handovers.unansweredInScope(scope.sql, scope.params);
    await this.access.recordList(actor, 'case:list-overdue', due.length + handovers.length);
    return {
      followUps: due.map((f) => ({
        ...f,
        service: owners.get(f.caseId)?.service ?? '',
        assigneeId: owners.get(f.caseId)?.assigneeId ?? null,
      })),
      handovers,
    };
  }

  private async ownersOf(
    caseIds: string[],
  ): Promise<Map<string, { service: string; assigneeId: string | null }>> {
    if (caseIds.length === 0) return new Map();
    const rows: Array<{ id: string; service: string; assignee_id: string | null }> =
      await this.db.query(`SELECT id, service, assignee_id FROM cases WHERE id = ANY($1::uuid[])`, [
        caseIds,
      ]);
    return new Map(rows.map((r) => [r.id, { service: r.service, assigneeId: r.assignee_id }]));
  }
}
