import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { addEvent, CaseLoader } from '@mayak/cases';
import { NotificationsService } from '@mayak/notifications';
import { Clock, job, OutboxJob, OutboxWriter } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { RotaService, Tier } from './rota.service';

export const pageJob = (caseId: string, tier: Tier, round: number): OutboxJob =>
  job(
    'emergency',
    'page-responders',
    { caseId, tier, round },
    undefined,
    `page-${caseId}-t${tier}-r${round}`,
  );

export const checkAckJob = (caseId: string, tier: Tier, round: number, due: Date): OutboxJob =>
  job(
    'emergency',
    'check-ack',
    { caseId, tier, round },
    due,
    `check-ack-${caseId}-t${tier}-r${round}`,
  );

export type PageResult = 'paged' | 'already_paged' | 'tier_empty' | 'not_needed';
export type CheckResult = 'acknowledged' | 'escalated' | 'already_handled';

/**
 * The climb. Paging a tier writes, in one transaction: the page row (its primary key is the
 * tier and round, so a retried or duplicated job pages nobody twice), one notification per
 * person on call (each with its webhook job), and the tier's SLA timer (a delayed
 * `check-ack` with a deterministic id). When the timer fires and nobody has acknowledged,
 * the breach is recorded and the next tier is paged; the last tier is paged again and
 * again until someone answers. Handlers look at the case before acting, so whatever runs
 * late, twice, or after a restart does the right thing once.
 */
@Injectable()
export class PagingService {
  constructor(
    private readonly db: DataSource,
    private readonly loader: CaseLoader,
    private readonly rota: RotaService,
    private readonly notifications: NotificationsService,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  page(caseId: string, tier: Tier, round: number): Promise<PageResult> {
    return this.db.transaction(async (em) => {
      const loaded = await this.loader.load(em, caseId, true);
      if (!loaded || loaded.row.acknowledged_at || loaded.row.status === 'closed')
        return 'not_needed';
      const existing: unknown[] = await em.query(
        `SELECT 1 FROM emergency_pages WHERE case_id = $1 AND tier = $2 AND round = $3`,
        [caseId, tier, round],
      );
      if (existing.length > 0) return 'already_paged';

      const now = this.clock.now();
      let recipients = await this.rota.onCall(em, tier, now);
      if (recipients.length === 0 && tier === 3) recipients = await this.rota.allCoordinators(em);
      if (recipients.length === 0 && tier < 3) {
        // Nobody on call at this tier: waiting out its SLA would only lose minutes.
        await em.query(
          `INSERT INTO emergency_pages (case_id, tier, round, due_at, recipients, breached_at) VALUES ($1, $2, $3, $4, '{}', $4)`,
          [caseId, tier, round, now],
        );
        await addEvent(em, caseId, null, 'paged', { tier, round, recipients: 0 });
        await this.outbox.add(em, [pageJob(caseId, (tier + 1) as Tier, round)]);
        await this.audit.record(
          {
            actorId: null,
            action: 'emergency.page',
            recordType: 'case',
            recordId: caseId,
            outcome: 'failure',
            reason: `tier${tier}_empty`,
          },
          em,
        );
        return 'tier_empty';
      }

      const timeout = (await this.rota.timeouts(em))[tier];
      const due = new Date(now.getTime() + timeout * 1000);
      await em.query(
        `INSERT INTO emergency_pages (case_id, tier, round, due_at, recipients) VALUES ($1, $2, $3, $4, $5)`,
        [caseId, tier, round, due, recipients],
      );
      const created = await this.notifications.create(
        em,
        recipients.map((userId) => ({
          userId,
          type: 'emergency_page',
          caseId,
          dedupeKey: `page-${caseId}-t${tier}-r${round}-${userId}`,
        })),
      );
      const withWebhook: Array<{ user_id: string }> = await em.query(
        `SELECT user_id FROM staff_webhooks WHERE user_id = ANY($1::uuid[])`,
        [created.map((n) => n.userId)],
      );
      const hooked = new Set(withWebhook.map((w) => w.user_id));
      await this.outbox.add(em, [
        checkAckJob(caseId, tier, round, due),
        ...created
          .filter((n) => hooked.has(n.userId))
          .map((n) => job('emergency', 'deliver-webhook', { notificationId: n.id })),
      ]);
      await addEvent(em, caseId, null, 'paged', { tier, round, recipients: recipients.length });
      await this.audit.record(
        {
          actorId: null,
          action: 'emergency.page',
          recordType: 'case',
          recordId: caseId,
          outcome: 'success',
          reason: `tier${tier}`,
        },
        em,
      );
      return 'paged';
    });
  }

  checkAck(caseId: string, tier: Tier, round: number): Promise<CheckResult> {
    return this.db.transaction(async (em) => {
      const loaded = await this.loader.load(em, caseId, true);
      if (!loaded || loaded.row.acknowledged_at || loaded.row.status === 'closed')
        return 'acknowledged';
      const pages: Array<{ breached_at: Date | null }> = await em.query(
        `SELECT breached_at FROM emergency_pages WHERE case_id = $1 AND tier = $2 AND round = $3`,
        [caseId, tier, round],
      );
      if (!pages[0] || pages[0].breached_at) return 'already_handled';
      await em.query(
        `UPDATE emergency_pages SET breached_at = $4 WHERE case_id = $1 AND tier = $2 AND round = $3`,
        [caseId, tier, round, this.clock.now()],
      );
      const next = this.next(tier, round);
      await addEvent(em, caseId, null, 'sla_breached', { tier, round });
      await addEvent(em, caseId, null, 'escalated', {
        fromTier: tier,
        toTier: next.tier,
        round: next.round,
      });
      await this.outbox.add(em, [pageJob(caseId, next.tier, next.round)]);
      await this.audit.record(
        [
          {
            actorId: null,
            action: 'emergency.sla_breach',
            recordType: 'case',
            recordId: caseId,
            outcome: 'failure',
            reason: `tier${tier}`,
          },
          {
            actorId: null,
            action: 'emergency.escalate',
            recordType: 'case',
            recordId: caseId,
            outcome: 'success',
            reason: `tier${next.tier}`,
          },
        ],
        em,
      );
      return 'escalated';
    });
  }

  /** Tier 1 → 2 → 3, then tier 3 again in the next round, until someone acknowledges. */
  private next(tier: Tier, round: number): { tier: Tier; round: number } {
    return tier < 3 ? { tier: (tier + 1) as Tier, round } : { tier: 3, round: round + 1 };
  }
}
