import { Actor, Role } from '@mayak/identity';
import { ConsentScope, Service, SERVICE_ROLE, serviceScope, servicesOf } from './scopes';

export type CaseStatus = 'queued' | 'assigned' | 'in_progress' | 'closed';

export type CaseAction =
  | 'case:read'
  | 'case:list-mine'
  | 'case:list-pool'
  | 'case:list-board'
  | 'case:notes:write'
  | 'case:claim'
  | 'case:accept'
  | 'case:decline'
  | 'case:close'
  | 'case:reassign'
  | 'case:acknowledge'
  | 'case:break-glass'
  | 'case:escalate'
  | 'case:follow-up:set'
  | 'case:follow-up:close'
  | 'case:hand-over'
  | 'case:handover:accept'
  | 'case:handover:refuse'
  | 'case:list-handovers'
  | 'case:caller-history';

/**
 * How the actor must stand to the case:
 * - assignee: the case is assigned to them;
 * - pool: the case waits, unassigned, in its service's pool, and the actor has not declined it
 *   (a decliner gets it back only from a coordinator);
 * - paged: they were paged for this emergency;
 * - break-glass: they hold an unexpired break-glass grant on it;
 * - origin-volunteer: they logged the contact that raised it, within their window;
 * - handover-recipient: the case's assignee offered it to them, and they have not answered;
 * - any: no relation needed (coordinators' metadata).
 */
export type CaseRelation =
  'assignee' | 'pool' | 'paged' | 'break-glass' | 'origin-volunteer' | 'handover-recipient' | 'any';

/** Which fields a permitted actor gets back. See CASE_FIELDS. */
export type CaseView = 'full' | 'metadata' | 'mine' | 'pool' | 'withdrawn' | 'handover';

export interface CaseRule {
  /** 'service-role': the role that serves the case's own service (a lawyer for legal…). */
  readonly roles: 'service-role' | readonly Role[];
  readonly relation: CaseRelation;
  /**
   * 'service': the caller's consent must still cover the case's service;
   * 'withdrawn': it must no longer cover it (what the assignee may still see then: that
   * the data is gone);
   * 'none': consent plays no part.
   */
  readonly consent: 'service' | 'withdrawn' | 'none';
  readonly view: CaseView;
  /** The rule applies to cases of these services only. */
  readonly only?: readonly Service[];
  /** Access beyond consent: marked as break-glass in the audit trail. */
  readonly breakGlass?: boolean;
}

const ROUTED: readonly Service[] = ['legal', 'psych'];
const EMERGENCY: readonly Service[] = ['emergency'];

/**
 * THE policy for cases: for every action, the ways it may be allowed, most generous first.
 * Anything not matched by a rule is denied. Single-record checks (decideCase) and list
 * queries (caseScopeSql) both interpret this one table, and the role-by-route test is
 * generated from it.
 */
export const CASE_POLICY: { readonly [A in CaseAction]: readonly CaseRule[] } = {
  'case:read': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'full' },
    { roles: 'service-role', relation: 'paged', consent: 'service', view: 'full', only: EMERGENCY },
    {
      roles: ['responder'],
      relation: 'break-glass',
      consent: 'none',
      view: 'full',
      only: EMERGENCY,
      breakGlass: true,
    },
    { roles: 'service-role', relation: 'assignee', consent: 'withdrawn', view: 'withdrawn' },
    {
      roles: 'service-role',
      relation: 'paged',
      consent: 'none',
      view: 'metadata',
      only: EMERGENCY,
    },
    // Offered the case by its assignee: what they need to decide, no more (CASE_FIELDS.handover).
    {
      roles: 'service-role',
      relation: 'handover-recipient',
      consent: 'service',
      view: 'handover',
      only: ROUTED,
    },
    { roles: ['coordinator'], relation: 'any', consent: 'none', view: 'metadata' },
  ],
  'case:list-mine': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'mine' },
  ],
  'case:list-pool': [
    { roles: 'service-role', relation: 'pool', consent: 'service', view: 'pool', only: ROUTED },
  ],
  'case:list-board': [
    { roles: ['coordinator'], relation: 'any', consent: 'none', view: 'metadata' },
  ],
  'case:notes:write': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'full' },
    {
      roles: ['responder'],
      relation: 'break-glass',
      consent: 'none',
      view: 'full',
      only: EMERGENCY,
      breakGlass: true,
    },
  ],
  // Only a case waiting in the pool: someone else's case answers as if it did not exist (a
  // 409 told a lawyer the case was there and taken), and so does the loser of a race.
  'case:claim': [
    { roles: 'service-role', relation: 'pool', consent: 'service', view: 'full', only: ROUTED },
  ],
  'case:accept': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'full', only: ROUTED },
  ],
  'case:decline': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'full', only: ROUTED },
  ],
  'case:close': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'full' },
    // Someone who took an emergency without the caller's consent must still be able to end it.
    {
      roles: 'service-role',
      relation: 'assignee',
      consent: 'none',
      view: 'metadata',
      only: EMERGENCY,
    },
  ],
  'case:reassign': [{ roles: ['coordinator'], relation: 'any', consent: 'none', view: 'metadata' }],
  'case:acknowledge': [
    {
      roles: 'service-role',
      relation: 'paged',
      consent: 'none',
      view: 'metadata',
      only: EMERGENCY,
    },
    {
      roles: ['coordinator'],
      relation: 'paged',
      consent: 'none',
      view: 'metadata',
      only: EMERGENCY,
    },
  ],
  'case:break-glass': [
    { roles: ['responder'], relation: 'paged', consent: 'none', view: 'metadata', only: EMERGENCY },
    {
      roles: ['responder'],
      relation: 'assignee',
      consent: 'none',
      view: 'metadata',
      only: EMERGENCY,
    },
  ],
  'case:escalate': [
    {
      roles: ['volunteer'],
      relation: 'origin-volunteer',
      consent: 'none',
      view: 'metadata',
      only: ROUTED,
    },
    {
      roles: 'service-role',
      relation: 'assignee',
      consent: 'none',
      view: 'metadata',
      only: ROUTED,
    },
  ],
  // A follow-up is a call back: the caller's consent to the service must still hold (and the
  // service checks contact_back on top).
  'case:follow-up:set': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'full', only: ROUTED },
  ],
  'case:follow-up:close': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'full', only: ROUTED },
  ],
  // Only to a colleague of the same service (the service checks the colleague's role).
  'case:hand-over': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'full', only: ROUTED },
  ],
  'case:handover:accept': [
    {
      roles: 'service-role',
      relation: 'handover-recipient',
      consent: 'service',
      view: 'handover',
      only: ROUTED,
    },
  ],
  'case:handover:refuse': [
    {
      roles: 'service-role',
      relation: 'handover-recipient',
      consent: 'service',
      view: 'handover',
      only: ROUTED,
    },
  ],
  'case:list-handovers': [
    {
      roles: 'service-role',
      relation: 'handover-recipient',
      consent: 'service',
      view: 'handover',
      only: ROUTED,
    },
  ],
  // The caller's earlier cases in the reader's own service, as metadata: for whoever may read
  // this case in full, under the consent that lets them.
  'case:caller-history': [
    { roles: 'service-role', relation: 'assignee', consent: 'service', view: 'metadata' },
    {
      roles: 'service-role',
      relation: 'paged',
      consent: 'service',
      view: 'metadata',
      only: EMERGENCY,
    },
  ],
};

export const CASE_FIELDS: { readonly [V in CaseView]: readonly string[] } = {
  full: [
    'id',
    'service',
    'status',
    'priority',
    'assigneeId',
    'region',
    'ageBand',
    'topics',
    'createdAt',
    'updatedAt',
    'assignedAt',
    'acknowledgedAt',
    'closedAt',
    'dueAt',
    'outcome',
    'timeline',
    'notes',
    'contact',
    'callerId',
    'breakGlass',
    'followUps',
    'handover',
  ],
  metadata: [
    'id',
    'service',
    'status',
    'priority',
    'assigneeId',
    'region',
    'ageBand',
    'createdAt',
    'updatedAt',
    'assignedAt',
    'acknowledgedAt',
    'closedAt',
    'dueAt',
    'timeline',
  ],
  mine: [
    'id',
    'service',
    'status',
    'priority',
    'region',
    'ageBand',
    'topics',
    'createdAt',
    'assignedAt',
    'dueAt',
    'followUpDue',
  ],
  pool: ['id', 'service', 'region', 'topics', 'ageBand', 'createdAt', 'waitingSeconds'],
  /**
   * The case's consent does not cover its service: its fate, and either that its data was
   * erased (the caller withdrew consent) or that it is withheld (`withheld: 'no_consent'`: the
   * caller never gave it, nothing was destroyed, break-glass opens it).
   */
  withdrawn: [
    'id',
    'service',
    'status',
    'outcome',
    'assigneeId',
    'createdAt',
    'closedAt',
    'timeline',
    'notes',
    'erased',
    'withheld',
  ],
  /**
   * A colleague offered the case, until they accept: enough to decide whether to take it
   * (the handover note, the case's metadata and topics), never its notes, timeline or contact.
   */
  handover: [
    'id',
    'service',
    'status',
    'priority',
    'region',
    'ageBand',
    'topics',
    'createdAt',
    'dueAt',
    'handover',
  ],
};

/** What a single-record decision needs to know about the case. */
export interface CaseFacts {
  readonly service: Service;
  readonly status: CaseStatus;
  readonly assigneeId: string | null;
  /** The scopes still in force on the consent of the contact that raised the case. */
  readonly scopes: readonly ConsentScope[];
  /** Everyone paged for this case, in any tier or round (emergencies). */
  readonly pagedUserIds: readonly string[];
  /** Holders of a break-glass grant on this case that has not expired. */
  readonly breakGlassUserIds: readonly string[];
  /** The volunteer who logged the originating contact, while it is within their window; else null. */
  readonly originVolunteerId: string | null;
  /** Everyone who declined the case: it never returns to their pool. */
  readonly declinedBy: readonly string[];
  /** The colleague the assignee offered the case to, while they have not answered; else none. */
  readonly handoverRecipientId?: string | null;
}

export type DenyReason = 'role' | 'relation' | 'consent';
export type CaseDecision =
  { allowed: true; view: CaseView; breakGlass: boolean } | { allowed: false; reason: DenyReason };

export function roleMatches(rule: CaseRule, roles: readonly Role[], service: Service): boolean {
  if (rule.only && !rule.only.includes(service)) return false;
  return rule.roles === 'service-role'
    ? roles.includes(SERVICE_ROLE[service])
    : rule.roles.some((r) => roles.includes(r));
}

export function relationHolds(rule: CaseRule, actor: Actor, facts: CaseFacts): boolean {
  switch (rule.relation) {
    case 'assignee':
      return facts.assigneeId === actor.userId;
    case 'pool':
      return (
        facts.status === 'queued' &&
        facts.assigneeId === null &&
        !facts.declinedBy.includes(actor.userId)
      );
    case 'paged':
      return facts.pagedUserIds.includes(actor.userId);
    case 'break-glass':
      return facts.breakGlassUserIds.includes(actor.userId);
    case 'origin-volunteer':
      return facts.originVolunteerId === actor.userId;
    case 'handover-recipient':
      return facts.handoverRecipientId === actor.userId;
    case 'any':
      return true;
  }
}

export function consentHolds(rule: CaseRule, facts: CaseFacts): boolean {
  const covered = facts.scopes.includes(serviceScope(facts.service));
  switch (rule.consent) {
    case 'service':
      return covered;
    case 'withdrawn':
      return !covered;
    case 'none':
      return true;
  }
}

/**
 * Whether any rule of `action` could allow this actor on some case: by role, and for a rule
 * bound to some services (`only`), by a role serving one of them. A list no rule could ever
 * fill is refused (403), never answered empty: a responder asking for the legal and
 * psychological pool is asking for something their role does not have.
 */
export function couldEverAllow(actor: Actor, action: CaseAction): boolean {
  return CASE_POLICY[action].some((rule) =>
    rule.roles === 'service-role'
      ? servicesOf(actor.roles).some((s) => !rule.only || rule.only.includes(s))
      : rule.roles.some((r) => actor.roles.includes(r)),
  );
}

/** What a reassignment's target account says about how fresh its roles are. */
export interface AssigneeGrant {
  readonly userId: string;
  readonly createdAt: Date;
  readonly rolesGrantedAt: Date;
  /** Who granted its roles last (null: the command line, or before this was kept). */
  readonly rolesGrantedBy: string | null;
  /** Who confirmed that grant, the second person (null: none was needed). */
  readonly rolesConfirmedBy?: string | null;
}

/** A new account: made less than this long ago. */
export const NEW_ACCOUNT_MS = 7 * 24 * 3_600_000;
/** A fresh grant: roles added less than this long ago. */
export const FRESH_GRANT_MS = 24 * 3_600_000;

/**
 * Whom a case may be reassigned to (issue 12.1). Never to the one reassigning: a coordinator
 * who also holds a service role would otherwise hand themselves any case of it and read it.
 * And not by the one who granted the target its roles, while the account is new (a week) or
 * the grant fresh (a day): an admin who is also a coordinator could otherwise make a puppet
 * lawyer and hand it a case; another coordinator must do it. The grant's confirmer is held to
 * the same: an admin who is also a coordinator could otherwise confirm a colleague's proposal
 * for an account they made, and hand it cases.
 */
export function mayReassignTo(
  actor: Actor,
  target: AssigneeGrant | null,
  now = Date.now(),
): { allowed: true } | { allowed: false; reason: 'self' | 'granter' } {
  if (!target) return { allowed: true };
  if (target.userId === actor.userId) return { allowed: false, reason: 'self' };
  const fresh =
    now - target.createdAt.getTime() < NEW_ACCOUNT_MS ||
    now - target.rolesGrantedAt.getTime() < FRESH_GRANT_MS;
  if (fresh && (target.rolesGrantedBy === actor.userId || target.rolesConfirmedBy === actor.userId))
    return { allowed: false, reason: 'granter' };
  return { allowed: true };
}

/** Decides one action on one case. The most specific reason is reported for a denial. */
export function decideCase(actor: Actor, action: CaseAction, facts: CaseFacts): CaseDecision {
  const rules = CASE_POLICY[action];
  const byRole = rules.filter((rule) => roleMatches(rule, actor.roles, facts.service));
  if (byRole.length === 0) return { allowed: false, reason: 'role' };
  const byRelation = byRole.filter((rule) => relationHolds(rule, actor, facts));
  if (byRelation.length === 0) return { allowed: false, reason: 'relation' };
  const allowed = byRelation.find((rule) => consentHolds(rule, facts));
  return allowed
    ? { allowed: true, view: allowed.view, breakGlass: allowed.breakGlass === true }
    : { allowed: false, reason: 'consent' };
}
