import { Injectable } from '@nestjs/common';
import { AuditEvent, AuditTrail } from '@mayak/audit';
import { Actor, SessionService } from '@mayak/identity';
import { AppConfig } from '@mayak/platform';
import { AccessError, AccessException } from './access.exception';
import { Capability, OPERATOR, Principal, principalHasCapability } from './capabilities';
import { CaseAction, CaseFacts, CaseView, decideCase, DenyReason } from './case-policy';

export type Judgement<V = undefined> =
  { allowed: true; event: AuditEvent; view: V } | { allowed: false; event: AuditEvent };
export type CaseJudgement = Judgement<CaseView>;

/**
 * Applies the policy, records every decision in the audit trail, and denies by default.
 * A record the actor may not see is reported exactly like a missing one (404), so that ids
 * cannot be probed.
 */
@Injectable()
export class AccessControl {
  constructor(
    private readonly audit: AuditTrail,
    private readonly sessions: SessionService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Role grants, exports and break-glass (issue 12.4): a live session is not enough, its owner
   * must have proved their password and a code within REAUTH_WINDOW_MINUTES (signing in
   * counts), so that a stolen session token alone cannot do them. Refused with 403
   * `reauthentication_required`, the denial audited under `action`. The operator at the
   * command line holds the machine and passes; an actor without a session never does.
   */
  async requireRecentAuthentication(
    actor: Principal,
    action: string,
    record?: { type: string; id: string },
  ): Promise<void> {
    if (actor === OPERATOR) return;
    if (
      actor.sessionId &&
      (await this.sessions.authenticatedWithin(actor.sessionId, this.config.REAUTH_WINDOW_MINUTES))
    )
      return;
    await this.audit.record({
      actorId: actor.userId,
      action,
      recordType: record?.type,
      recordId: record?.id,
      outcome: 'deny',
      reason: 'reauthentication_required',
    });
    throw new AccessException(AccessError.ReauthenticationRequired);
  }

  /**
   * Every capability check: allowed by role (or to the operator), recorded, denied by
   * default (403). `audit: 'denials'` records only a denial, where the allowed action records
   * itself (intake's contact) or is read by everyone signed in (the vocabulary).
   */
  async requireCapability(
    actor: Principal,
    capability: Capability,
    record?: { type: string; id: string },
    options: { audit?: 'all' | 'denials' } = {},
  ): Promise<void> {
    const allowed = principalHasCapability(actor, capability);
    if (!allowed || options.audit !== 'denials')
      await this.audit.record({
        actorId: actor === OPERATOR ? null : actor.userId,
        action: capability,
        recordType: record?.type,
        recordId: record?.id,
        outcome: allowed ? 'allow' : 'deny',
        reason: allowed ? (actor === OPERATOR ? 'operator' : undefined) : 'role',
      });
    if (!allowed) throw new AccessException(AccessError.Forbidden);
  }

  /**
   * Judges an action on one case without any I/O; `facts` is undefined when the case does
   * not exist. Inside a transaction, record `judgement.event` as its LAST statement when
   * allowed (so the entry commits or vanishes with the change, and the audit chain's lock is
   * held only until commit), or, when denied, after the transaction has rolled back (so the
   * denial is kept, and no pooled connection waits on another).
   */
  judgeCase(
    actor: Actor,
    action: CaseAction,
    caseId: string,
    facts: CaseFacts | undefined,
  ): CaseJudgement {
    const decision = facts
      ? decideCase(actor, action, facts)
      : ({ allowed: false, reason: 'not_found' } as const);
    const judgement = this.judge(
      actor,
      action,
      { type: 'case', id: caseId },
      decision,
      decision.allowed ? decision.view : undefined,
    );
    // Access beyond the caller's consent is marked as such in the audit trail.
    if (decision.allowed && decision.breakGlass) judgement.event.breakGlass = true;
    return judgement;
  }

  /** Judges with one of the other record policies' decisions. */
  judge<V = undefined>(
    actor: Actor,
    action: string,
    record: { type: string; id: string },
    decision: { allowed: true } | { allowed: false; reason: DenyReason | 'not_found' },
    view?: V,
  ): Judgement<V> {
    const event: AuditEvent = {
      actorId: actor.userId,
      action,
      recordType: record.type,
      recordId: record.id,
      outcome: 'allow',
    };
    return decision.allowed
      ? { allowed: true, event, view: view as V }
      : { allowed: false, event: { ...event, outcome: 'deny', reason: decision.reason } };
  }

  /** Outside a transaction: records the judgement at once; a denial becomes a 404. */
  async enforce<V>(judgement: Judgement<V>): Promise<V> {
    await this.audit.record(judgement.event);
    if (!judgement.allowed) throw new AccessException(AccessError.NotFound);
    return judgement.view;
  }

  /** A case read outside any transaction. */
  requireCase(
    actor: Actor,
    action: CaseAction,
    caseId: string,
    facts: CaseFacts | undefined,
  ): Promise<CaseView> {
    return this.enforce(this.judgeCase(actor, action, caseId, facts));
  }

  /** Records that a list was read under a scope (the scope itself lives in the query). */
  async recordList(actor: Actor, action: string, count: number): Promise<void> {
    await this.audit.record({
      actorId: actor.userId,
      action,
      outcome: 'allow',
      reason: `rows:${count}`,
    });
  }
}
