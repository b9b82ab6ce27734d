import { Injectable } from '@nestjs/common';
import {
  AccessControl,
  AccessError,
  AccessException,
  ConsentScope,
  decideConsentWithdrawal,
  withinVolunteerWindow,
} from '@mayak/access';
import { AuditEvent, AuditTrail } from '@mayak/audit';
import {
  CallerRegistry,
  CONTACT_COLUMNS,
  ContactRecords,
  ContactRow,
  CONTACTS_WITH_FACTS,
} from '@mayak/contacts';
import { Actor } from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import { AppConfig, countUp } from '@mayak/platform';
import { PendingWithdrawals } from './pending-withdrawals.service';
import { WithdrawalEffects } from './withdrawal-effects';
import { DataSource, EntityManager } from 'typeorm';

export interface WithdrawalReceipt {
  callerId: string;
  withdrawn: ConsentScope[];
  /** Open cases of a withdrawn service, now closed as withdrawn. */
  closedCaseIds: string[];
  /**
   * When the withdrawal would also destroy records the volunteer did not log on this call:
   * the queued request for the rest, applied once a coordinator confirms it and 24 h passed.
   */
  pendingId?: string;
}

/**
 * A caller takes back consent. What the asker logged on this call (or, for the assignee of an
 * open case of the caller, everything) changes at once, in one transaction: data held only
 * under the withdrawn scopes is destroyed by destroying its data keys (crypto-shredding, so
 * backups are covered too), open cases of a withdrawn service are closed as withdrawn, and
 * the audit trail records it (WithdrawalEffects). Categorical fields stay for plain counts;
 * `statistics` withdrawn takes the caller's contacts out of every breakdown. What a volunteer
 * would destroy beyond their own call waits for a coordinator (PendingWithdrawals).
 */
@Injectable()
export class ConsentWithdrawalService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly config: AppConfig,
    private readonly callers: CallerRegistry,
    private readonly contacts: ContactRecords,
    private readonly effects: WithdrawalEffects,
    private readonly pending: PendingWithdrawals,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * Of these contacts, those still within their volunteer's window, with that volunteer: the
   * link is kept for the window only, and when a contact was logged is sealed with its facts.
   */
  private async withinWindow(
    em: EntityManager,
    contactIds: string[],
  ): Promise<Map<string, string>> {
    const rows: Array<ContactRow & { volunteer_id: string }> = await em.query(
      `SELECT ${CONTACT_COLUMNS}, ct.volunteer_id FROM ${CONTACTS_WITH_FACTS}
        WHERE ct.id = ANY($1::uuid[]) AND ct.volunteer_id IS NOT NULL`,
      [contactIds],
    );
    const hours = this.config.VOLUNTEER_CONTACT_WINDOW_HOURS;
    const recent = new Map<string, string>();
    for (const row of rows) {
      const { loggedAt } = await this.contacts.attributes(row, null);
      if (withinVolunteerWindow(new Date(loggedAt), hours)) recent.set(row.id, row.volunteer_id);
    }
    return recent;
  }

  /** Who holds an open case raised by one of these contacts. */
  private async openCaseAssignees(em: EntityManager, contactIds: string[]): Promise<string[]> {
    const [{ assignees }] = await em.query<Array<{ assignees: string[] | null }>>(
      `SELECT array_agg(DISTINCT assignee_id) AS assignees FROM cases
        WHERE contact_id = ANY($1::uuid[]) AND assignee_id IS NOT NULL AND status <> 'closed'`,
      [contactIds],
    );
    return assignees ?? [];
  }

  async withdraw(
    actor: Actor,
    callerId: string,
    scopes: ConsentScope[],
  ): Promise<WithdrawalReceipt> {
    const withdrawn = [...new Set(scopes)];
    let denial: AuditEvent | undefined;
    try {
      return await this.db.transaction(async (em) => {
        // The caller's row is locked: a call of theirs logged meanwhile waits for us.
        const found = await this.callers.contactIdsOf(em, callerId, true);
        const contactIds = found ?? [];
        const recent = await this.withinWindow(em, contactIds);
        const assignees = await this.openCaseAssignees(em, contactIds);
        const decision = found
          ? decideConsentWithdrawal(actor, {
              recentVolunteerIds: [...new Set(recent.values())],
              assigneeIds: assignees,
            })
          : ({ allowed: false, reason: 'not_found' } as const);
        const judgement = this.access.judge(
          actor,
          'caller:consent-withdraw',
          { type: 'caller', id: callerId },
          decision,
        );
        if (!judgement.allowed) {
          denial = judgement.event;
          throw new AccessException(AccessError.NotFound);
        }

        // At once: what the actor logged on this call (within their window), or everything when
        // they hold an open case of the caller. Anything else a volunteer would destroy (records
        // logged by someone else, or older) waits for a coordinator and 24 h.
        const now = assignees.includes(actor.userId)
          ? contactIds
          : contactIds.filter(
              (id) => actor.roles.includes('volunteer') && recent.get(id) === actor.userId,
            );
        const later = contactIds.filter((id) => !now.includes(id));
        const closed = await this.effects.apply(em, actor.userId, callerId, now, withdrawn, {
          callerToo: later.length === 0,
        });
        const pending =
          later.length > 0 ? await this.pending.request(em, actor, callerId, withdrawn) : undefined;
        const today = await countUp(em, actor.userId, 'consent_withdrawal', 'day');
        if (today?.count === this.config.WITHDRAWALS_PER_DAY_NOTIFY)
          await this.notifications.aboutStaffToCoordinators(
            em,
            'withdrawal_burst',
            actor.userId,
            today.windowStart.toISOString(),
          );

        await this.audit.record(
          { ...judgement.event, reason: `scopes:${withdrawn.join(',')}` },
          em,
        );
        return {
          callerId,
          withdrawn,
          closedCaseIds: closed,
          ...(pending ? { pendingId: pending } : {}),
        };
      });
    } catch (error) {
      if (denial) await this.audit.record(denial);
      throw error;
    }
  }
}
