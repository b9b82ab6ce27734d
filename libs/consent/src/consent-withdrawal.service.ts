import { Injectable } from '@nestjs/common';
import {
  AccessControl,
  AccessError,
  AccessException,
  ConsentScope,
  decideConsentWithdrawal,
  Service,
  SERVICES,
  serviceScope,
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
import { CaseLifecycleService, shredCaseNotes } from '@mayak/cases';
import { Actor } from '@mayak/identity';
import { AppConfig, OutboxWriter, statsRollupJob } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';

export interface WithdrawalReceipt {
  callerId: string;
  withdrawn: ConsentScope[];
  /** Open cases of a withdrawn service, now closed as withdrawn. */
  closedCaseIds: string[];
}

const SERVICE_SCOPES = SERVICES.map(serviceScope);

/**
 * A caller takes back consent. It takes effect at once, in one transaction: data held only
 * under the withdrawn scopes is destroyed by destroying its data keys (crypto-shredding, so
 * backups are covered too), open cases of a withdrawn service are closed as withdrawn, and
 * the audit trail records it. Categorical fields stay for plain counts; `statistics`
 * withdrawn takes the caller's contacts out of every breakdown.
 */
@Injectable()
export class ConsentWithdrawalService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly config: AppConfig,
    private readonly outbox: OutboxWriter,
    private readonly callers: CallerRegistry,
    private readonly contacts: ContactRecords,
    private readonly lifecycle: CaseLifecycleService,
  ) {}

  /**
   * The volunteers who logged one of these contacts within their window: the link is kept
   * for the window only, and when a contact was logged is sealed with its facts.
   */
  private async recentVolunteers(em: EntityManager, contactIds: string[]): Promise<string[]> {
    const rows: Array<ContactRow & { volunteer_id: string }> = await em.query(
      `SELECT ${CONTACT_COLUMNS}, ct.volunteer_id FROM ${CONTACTS_WITH_FACTS}
        WHERE ct.id = ANY($1::uuid[]) AND ct.volunteer_id IS NOT NULL`,
      [contactIds],
    );
    const hours = this.config.VOLUNTEER_CONTACT_WINDOW_HOURS;
    const recent = new Set<string>();
    for (const row of rows) {
      const { loggedAt } = await this.contacts.attributes(row, null);
      if (withinVolunteerWindow(new Date(loggedAt), hours)) recent.add(row.volunteer_id);
    }
    return [...recent];
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
        const decision = found
          ? decideConsentWithdrawal(actor, {
              recentVolunteerIds: await this.recentVolunteers(em, contactIds),
              assigneeIds: await this.openCaseAssignees(em, contactIds),
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

        await em.query(
          `UPDATE consents SET withdrawn_scopes = ARRAY(SELECT DISTINCT unnest(withdrawn_scopes || $2::text[]) ORDER BY 1),
                  withdrawn_at = date_trunc('day', now())
            WHERE contact_id = ANY($1::uuid[])`,
          [contactIds, withdrawn],
        );

        const services = SERVICES.filter((s: Service) => withdrawn.includes(serviceScope(s)));
        // The case lifecycle closes the open cases; the notes of every case of those services,
        // open or closed, are shredded by the one function that shreds notes.
        const closed = await this.lifecycle.closeWithdrawn(
          em,
          actor.userId,
          contactIds,
          services,
          withdrawn,
        );
        const withdrawnCases: Array<{ id: string }> = services.length
          ? await em.query(
              `SELECT id FROM cases WHERE contact_id = ANY($1::uuid[]) AND service = ANY($2::text[])`,
              [contactIds, services],
            )
          : [];
        await shredCaseNotes(
          em,
          withdrawnCases.map((c) => c.id),
        );

        // A contact's summary and pseudonym were taken for the services the caller asked for;
        // when no service consent is left on it, they go.
        await em.query(
          `UPDATE contacts ct SET dek_wrapped = NULL, pseudonym_enc = NULL, summary_enc = NULL, erased_at = now()
             FROM consents cs
            WHERE cs.contact_id = ct.id AND ct.id = ANY($1::uuid[]) AND ct.erased_at IS NULL
              AND cs.scopes && $2::text[]
              AND NOT (ARRAY(SELECT unnest(cs.scopes) EXCEPT SELECT unnest(cs.withdrawn_scopes)) && $2::text[])`,
          [contactIds, SERVICE_SCOPES],
        );

        if (withdrawn.includes('statistics')) {
          // Out of every breakdown at once: the days it counted in are rebuilt by the next rollup.
          await em.query(
            `WITH changed AS (
               UPDATE contacts SET stats_consented = false WHERE id = ANY($1::uuid[]) AND stats_consented
               RETURNING day)
             INSERT INTO stats_dirty_days (day) SELECT DISTINCT day FROM changed ON CONFLICT DO NOTHING`,
            [contactIds],
          );
          await this.outbox.add(em, [statsRollupJob()]);
        }

        if (withdrawn.includes('contact_back'))
          await em.query(
            `UPDATE callers SET dek_wrapped = NULL, identifier_enc = NULL, contact_back_enc = NULL, updated_at = date_trunc('day', now()) WHERE id = $1`,
            [callerId],
          );

        await this.audit.record(
          { ...judgement.event, reason: `scopes:${withdrawn.join(',')}` },
          em,
        );
        return { callerId, withdrawn, closedCaseIds: closed };
      });
    } catch (error) {
      if (denial) await this.audit.record(denial);
      throw error;
    }
  }
}
