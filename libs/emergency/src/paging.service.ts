import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { addEvent, pageTimeBinding } from '@mayak/cases';
import { NotificationsService } from '@mayak/notifications';
import { Clock, ExactTimes, job, OutboxJob, OutboxWriter, rowsOf } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
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
    private readonly rota: RotaService,
    private readonly notifications: NotificationsService,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    private readonly times: ExactTimes,
  ) {}

  page(caseId: string, tier: Tier, round: number): Promise<PageResult> {
    return this.db.transaction(async (em) => {
      const state = await this.lockCase(em, caseId, tier, round);
      if (!state.unanswered) return 'not_needed';
      if (state.paged) return 'already_paged';

      const now = this.clock.now();
      const rota = await this.rota.tierAt(em, tier, now);
      let recipients = rota.onCall;
      if (recipients.length === 0 && tier === 3) recipients = await this.rota.allCoordinators(em);
      if (recipients.length === 0 && tier < 3) {
        // Nobody on call at this tier: waiting out its SLA would only lose minutes.
        const stamp = this.times.now();
        const p = this.pageMoments(caseId, tier, round, stamp, stamp, stamp);
        await em.query(
          `INSERT INTO emergency_pages (case_id, tier, round, paged_at, paged_enc, due_at, due_enc,
                                        recipients, breached_at, breached_enc)
           VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $6, $8)`,
          [
            caseId,
            tier,
            round,
            p.paged.week,
            p.paged.sealed,
            p.due.week,
            p.due.sealed,
            p.breached!.sealed,
          ],
        );
        await addEvent(em, this.times, caseId, null, 'paged', { tier, round, recipients: 0 });
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

      const due = new Date(now.getTime() + rota.timeoutSeconds * 1000);
      // The timer runs on the Clock; what is written is stamped by ExactTimes (the same clock,
      // but for a harness that replays a period).
      const stamp = this.times.now();
      const p = this.pageMoments(
        caseId,
        tier,
        round,
        stamp,
        new Date(stamp.getTime() + rota.timeoutSeconds * 1000),
      );
      await em.query(
        `WITH page AS (
           INSERT INTO emergency_pages (case_id, tier, round, paged_at, paged_enc, due_at, due_enc, recipients)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING case_id)
         INSERT INTO case_events (case_id, actor_id, type, detail, at, at_enc)
         SELECT case_id, NULL, 'paged', $9::jsonb, $4, $10 FROM page`,
        [
          caseId,
          tier,
          round,
          p.paged.week,
          p.paged.sealed,
          p.due.week,
          p.due.sealed,
          recipients,
          JSON.stringify({ tier, round, recipients: recipients.length }),
          p.event.sealed,
        ],
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
      await this.outbox.add(em, [
        checkAckJob(caseId, tier, round, due),
        ...created
          .filter((n) => n.hasWebhook)
          .map((n) => job('emergency', 'deliver-webhook', { notificationId: n.id })),
      ]);
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

  /**
   * The timer's verdict, in as few round trips as it can be (a burst of breaches is when
   * the worker is busiest): the case row locked, then one statement that marks the page
   * breached, only if it is not yet, and records both events.
   */
  checkAck(caseId: string, tier: Tier, round: number): Promise<CheckResult> {
    return this.db.transaction(async (em) => {
      if (!(await this.lockCase(em, caseId, tier, round)).unanswered) return 'acknowledged';
      const next = this.next(tier, round);
      const breachedAt = this.times.now();
      const breach = this.pageMoments(caseId, tier, round, breachedAt, breachedAt, breachedAt);
      const breached = rowsOf<{ case_id: string }>(
        await em.query(
          `WITH breached AS (
             UPDATE emergency_pages SET breached_at = $4, breached_enc = $7
              WHERE case_id = $1 AND tier = $2 AND round = $3 AND breached_at IS NULL
             RETURNING case_id),
           events AS (
             INSERT INTO case_events (case_id, actor_id, type, detail, at, at_enc)
             SELECT b.case_id, NULL, e.type, e.detail::jsonb, $4, e.at_enc
               FROM breached b,
                    (VALUES (1, 'sla_breached', $5, $8::bytea), (2, 'escalated', $6, $9::bytea))
                      AS e(ord, type, detail, at_enc)
              ORDER BY e.ord)
           SELECT case_id FROM breached`,
          [
            caseId,
            tier,
            round,
            breach.breached!.week,
            JSON.stringify({ tier, round }),
            JSON.stringify({ fromTier: tier, toTier: next.tier, round: next.round }),
            breach.breached!.sealed,
            breach.event.sealed,
            this.times.seal({ table: 'case_events', id: caseId, column: 'at' }, breachedAt).sealed,
          ],
        ),
      );
      if (breached.length === 0) return 'already_handled';
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

  /**
   * Locks the case and tells whether it still waits for an answer, and whether this tier and
   * round was paged already: only what paging and its timer decide on, not the reader's facts
   * (CaseLoader).
   */
  private async lockCase(
    em: EntityManager,
    caseId: string,
    tier: Tier,
    round: number,
  ): Promise<{ unanswered: boolean; paged: boolean }> {
    const [row] = await em.query<
      Array<{ acknowledged_at: Date | null; status: string; paged: boolean }>
    >(
      `SELECT c.acknowledged_at, c.status,
              EXISTS (SELECT 1 FROM emergency_pages p
                       WHERE p.case_id = c.id AND p.tier = $2 AND p.round = $3) AS paged
         FROM cases c WHERE c.id = $1 FOR UPDATE`,
      [caseId, tier, round],
    );
    return {
      unanswered: row !== undefined && row.acknowledged_at === null && row.status !== 'closed',
      paged: row?.paged ?? false,
    };
  }

  /**
   * A page's times as open work keeps them: the day in the clear, the exact moment sealed
   * (ExactTimes), with the timeline entry's. Only the timer in the queue holds the due time.
   */
  private pageMoments(
    caseId: string,
    tier: Tier,
    round: number,
    pagedAt: Date,
    dueAt: Date,
    breachedAt?: Date,
  ) {
    return {
      paged: this.times.seal(pageTimeBinding(caseId, tier, round, 'paged_at'), pagedAt),
      due: this.times.seal(pageTimeBinding(caseId, tier, round, 'due_at'), dueAt),
      breached: breachedAt
        ? this.times.seal(pageTimeBinding(caseId, tier, round, 'breached_at'), breachedAt)
        : undefined,
      event: this.times.seal(
        { table: 'case_events', id: caseId, column: 'at' },
        breachedAt ?? pagedAt,
      ),
    };
  }

  /** Tier 1 → 2 → 3, then tier 3 again in the next round, until someone acknowledges. */
  private next(tier: Tier, round: number): { tier: Tier; round: number } {
    return tier < 3 ? { tier: (tier + 1) as Tier, round } : { tier: 3, round: round + 1 };
  }
}
