import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  AccessControl,
  AccessError,
  AccessException,
  GrantDenial,
  GrantSide,
  mayDecideGrant,
  needsTwoPeople,
  otherSide,
  proposingSide,
  TwoPersonRole,
} from '@mayak/access';
import { AuditEvent, AuditTrail } from '@mayak/audit';
import {
  Actor,
  IdentityError,
  IdentityException,
  NO_PASSWORD,
  Role,
  SessionService,
  StaffNames,
} from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import { ExactTimes } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { AccountsError, AccountsException } from './accounts.exception';

/** A grant waiting for its second person, as admins and coordinators see it. */
export interface PendingGrantView {
  id: string;
  userId: string;
  username: string;
  role: TwoPersonRole;
  proposedBy: string;
  proposedByUsername: string;
  proposedAs: GrantSide;
  proposedAt: Date;
  /** Whether the account's owner has set it up (a grant to an account nobody has yet waits). */
  granteeEnrolled: boolean;
  /** Whether the one asking may confirm it. */
  mayConfirm: boolean;
}

export type GrantDecision = 'confirmed' | 'rejected';

const DENIALS: Record<GrantDenial, AccountsError> = {
  own_account: AccountsError.GrantOwnAccount,
  own_proposal: AccountsError.GrantOwnProposal,
  same_side: AccountsError.GrantSameSide,
};

/**
 * Two-person role grants (issue 12.1). A role that needs two people (TWO_PERSON_ROLES) is
 * not applied when an admin grants it (making an account, changing its roles) or a
 * coordinator proposes it: it waits here, audited, and the other side is told. A person of
 * the other side, neither the proposer nor the account's owner, confirms it (the role is
 * applied, the owner's sessions end) or rejects it; the proposer may withdraw it.
 */
@Injectable()
export class RoleGrantsService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly notifications: NotificationsService,
    private readonly sessions: SessionService,
    private readonly names: StaffNames,
    private readonly times: ExactTimes,
  ) {}

  /**
   * Queues the grants inside the caller's transaction and tells the other side. Returns the
   * audit events, for the caller to record last in its transaction.
   */
  async propose(
    em: EntityManager,
    actor: Actor,
    userId: string,
    roles: readonly TwoPersonRole[],
    side: GrantSide,
  ): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for (const role of roles) {
      const id = randomUUID();
      // A staff account's grant, not a call: the day (its age matters for the queue), not the week.
      const proposed = this.times.seal({ table: 'role_grants_pending', id, column: 'proposed' });
      const inserted: Array<{ id: string }> = await em.query(
        `INSERT INTO role_grants_pending (id, user_id, role, proposed_by, proposed_as, proposed_day, proposed_enc)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id, role) WHERE state = 'pending' DO NOTHING RETURNING id`,
        [id, userId, role, actor.userId, side, this.times.today(), proposed.sealed],
      );
      if (inserted.length === 0) continue; // already waiting
      await this.notifications.aboutStaffTo(
        em,
        otherSide(side),
        'role_grant_pending',
        userId,
        id,
        actor.userId,
      );
      events.push({
        actorId: actor.userId,
        action: 'role.grant.proposed',
        recordType: 'role_grant',
        recordId: id,
        outcome: 'success',
        reason: role,
      });
    }
    return events;
  }

  /** POST /api/role-grants: an admin or a coordinator proposes a role for another's account. */
  async request(actor: Actor, userId: string, role: Role): Promise<PendingGrantView[]> {
    await this.access.requireCapability(actor, 'role:propose', { type: 'user', id: userId });
    await this.access.requireRecentAuthentication(actor, 'role.grant.propose', {
      type: 'user',
      id: userId,
    });
    if (!needsTwoPeople(role)) throw new AccountsException(AccountsError.NotTwoPersonRole);
    if (userId === actor.userId) throw new IdentityException(IdentityError.CannotChangeOwnAccount);
    await this.db.transaction(async (em) => {
      const rows: Array<{ roles: Role[] }> = await em.query(
        `SELECT roles FROM users WHERE id = $1 FOR UPDATE`,
        [userId],
      );
      if (!rows[0]) throw new IdentityException(IdentityError.UserNotFound);
      if (rows[0].roles.includes(role)) throw new AccountsException(AccountsError.RoleHeld);
      const events = await this.propose(
        em,
        actor,
        userId,
        [role],
        proposingSide(actor, 'role-grants'),
      );
      await this.audit.record(events, em);
    });
    return (await this.pendingViews(actor)).filter((g) => g.userId === userId && g.role === role);
  }

  /** Every grant waiting, oldest first: to admins and coordinators, who decide them. */
  async list(actor: Actor): Promise<PendingGrantView[]> {
    await this.access.requireCapability(actor, 'role:decide');
    return this.pendingViews(actor);
  }

  /** The roles waiting for each account, for the accounts list. */
  async pendingRolesByUser(em: EntityManager = this.db.manager): Promise<Map<string, Role[]>> {
    const rows: Array<{ user_id: string; role: Role }> = await em.query(
      `SELECT user_id, role FROM role_grants_pending WHERE state = 'pending' ORDER BY role`,
    );
    const byUser = new Map<string, Role[]>();
    for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r.role]);
    return byUser;
  }

  /**
   * Confirms (the role is applied, in the same transaction, and the owner's sessions end) or
   * rejects a pending grant. A grant that is not pending is a 404, like a missing one.
   */
  async decide(actor: Actor, id: string, decision: GrantDecision): Promise<void> {
    await this.access.requireCapability(actor, 'role:decide', { type: 'role_grant', id });
    // Confirming grants a role; rejecting grants nothing and may be done at once.
    if (decision === 'confirmed')
      await this.access.requireRecentAuthentication(actor, 'role.grant.confirm', {
        type: 'role_grant',
        id,
      });
    const action = decision === 'confirmed' ? 'role.grant.confirmed' : 'role.grant.rejected';
    const denied = await this.db.transaction(async (em): Promise<AccountsError | undefined> => {
      const rows: Array<{
        user_id: string;
        role: TwoPersonRole;
        proposed_by: string;
        proposed_as: GrantSide;
        awaiting_enrolment: boolean;
      }> = await em.query(
        `SELECT g.user_id, g.role, g.proposed_by, g.proposed_as, u.password_hash = $2 AS awaiting_enrolment
           FROM role_grants_pending g JOIN users u ON u.id = g.user_id
          WHERE g.id = $1 AND g.state = 'pending' FOR UPDATE OF g, u`,
        [id, NO_PASSWORD],
      );
      const row = rows[0];
      if (!row) throw new AccessException(AccessError.NotFound);
      // Withdrawing one's own proposal narrows nothing and needs nobody else.
      const withdrawal = decision === 'rejected' && row.proposed_by === actor.userId;
      const verdict = withdrawal
        ? ({ allowed: true } as const)
        : mayDecideGrant(actor, {
            userId: row.user_id,
            proposedBy: row.proposed_by,
            proposedAs: row.proposed_as,
          });
      if (!verdict.allowed) return DENIALS[verdict.reason];
      if (decision === 'confirmed' && row.awaiting_enrolment)
        return AccountsError.GranteeNotEnrolled;
      await em.query(
        `UPDATE role_grants_pending SET state = $2, decided_by = $3, decided_day = $4 WHERE id = $1`,
        [id, decision, actor.userId, this.times.today()],
      );
      if (decision === 'confirmed') {
        // The proposer is the granter (mayReassignTo), and the confirmer is held to the same.
        await em.query(
          `UPDATE users SET roles = CASE WHEN $2 = ANY (roles) THEN roles ELSE roles || $2::text END,
                  roles_granted_at = now(), roles_granted_by = $3, roles_confirmed_by = $4,
                  updated_at = now()
            WHERE id = $1`,
          [row.user_id, row.role, row.proposed_by, actor.userId],
        );
        await this.sessions.revokeAllOf(row.user_id, em);
      }
      await this.audit.record(
        {
          actorId: actor.userId,
          action,
          recordType: 'role_grant',
          recordId: id,
          outcome: 'success',
          reason: withdrawal ? 'withdrawn' : row.role,
        },
        em,
      );
      return undefined;
    });
    if (denied) {
      await this.audit.record({
        actorId: actor.userId,
        action,
        recordType: 'role_grant',
        recordId: id,
        outcome: 'deny',
        reason: denied,
      });
      throw new AccountsException(denied);
    }
  }

  private async pendingViews(actor: Actor): Promise<PendingGrantView[]> {
    const rows: Array<{
      id: string;
      user_id: string;
      role: TwoPersonRole;
      proposed_by: string;
      proposed_as: GrantSide;
      proposed_day: Date;
      proposed_enc: Buffer;
      awaiting_enrolment: boolean;
      u_dek: Buffer;
      u_name: Buffer;
      p_dek: Buffer;
      p_name: Buffer;
    }> = await this.db.query(
      `SELECT g.id, g.user_id, g.role, g.proposed_by, g.proposed_as, g.proposed_day, g.proposed_enc,
              u.password_hash = $1 AS awaiting_enrolment,
              u.dek_wrapped AS u_dek, u.username_enc AS u_name,
              p.dek_wrapped AS p_dek, p.username_enc AS p_name
         FROM role_grants_pending g
         JOIN users u ON u.id = g.user_id
         JOIN users p ON p.id = g.proposed_by
        WHERE g.state = 'pending'`,
      [NO_PASSWORD],
    );
    return rows
      .map((r) => ({
        id: r.id,
        userId: r.user_id,
        username: this.names.open(r.user_id, r.u_dek, r.u_name),
        role: r.role,
        proposedBy: r.proposed_by,
        proposedByUsername: this.names.open(r.proposed_by, r.p_dek, r.p_name),
        proposedAs: r.proposed_as,
        proposedAt: this.times.open(
          { table: 'role_grants_pending', id: r.id, column: 'proposed' },
          r.proposed_enc,
          r.proposed_day,
        ),
        granteeEnrolled: !r.awaiting_enrolment,
        mayConfirm:
          !r.awaiting_enrolment &&
          mayDecideGrant(actor, {
            userId: r.user_id,
            proposedBy: r.proposed_by,
            proposedAs: r.proposed_as,
          }).allowed,
      }))
      .sort((a, b) => a.proposedAt.getTime() - b.proposedAt.getTime());
  }
}
