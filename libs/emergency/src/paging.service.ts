import { Injectable } from '@nestjs/common';
import { auditAppend, AuditEvent, AuditTrail } from '@mayak/audit';
import { pageTimeBinding } from '@mayak/cases';
import { NewNotification, notificationsInsert, NotificationsService } from '@mayak/notifications';
import {
  batchArray,
  Clock,
  ExactTimes,
  GroupCommit,
  job,
  outboxDone,
  OutboxJob,
  outboxInsert,
  outboxInsertFor,
  OutboxLedger,
  OutboxWriter,
  preparedStatement,
  rowsOf,
  runPrepared,
  SealedMoment,
} from '@mayak/platform';
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

/** One tier and round of one case's climb: what a page job and its timer name. */
interface PageKey {
  caseId: string;
  tier: Tier;
  round: number;
}

/** A timer to decide: its page, and the BullMQ id of its job when a job fired it. */
interface TimerKey extends PageKey {
  jobId?: string;
}

/**
 * A batch of timers ($1–$3 the case, tier and round of each; $4 the sealed breach moment; $5,
 * $6 the details of its two timeline entries, $7, $8 their sealed moments; $9 the day): the
 * cases locked in id order (two batches never wait on each other in a circle), the pages of
 * those still unanswered marked breached, only those not yet, with their 'sla_breached' and
 * 'escalated' entries; and the outbox rows of the timers' jobs deleted ($10, $11: `outboxDone`),
 * so that a breach and the end of its timer commit together. For each timer: whether its case
 * still waits for an answer, whether this statement breached its page, and the case's pages
 * from its round on (`tier/round`). Its arrays are read through `batchArray`, so that each
 * connection plans it once, not at every call.
 */
const CHECK_TIMERS = preparedStatement(
  'paging.check-timers',
  `WITH locked AS MATERIALIZED (
     SELECT id, acknowledged_at, status FROM cases
      WHERE id = ANY(${batchArray(1, 'uuid')}) ORDER BY id FOR UPDATE),
   timer AS MATERIALIZED (
     SELECT t.*, (l.acknowledged_at IS NULL AND l.status <> 'closed') AS unanswered
       FROM unnest(${batchArray(1, 'uuid')}, ${batchArray(2, 'int')}, ${batchArray(3, 'int')},
                   ${batchArray(4, 'bytea')}, ${batchArray(5, 'text')}, ${batchArray(6, 'text')},
                   ${batchArray(7, 'bytea')}, ${batchArray(8, 'bytea')})
              WITH ORDINALITY AS t(case_id, tier, round, breached_enc, breach_detail,
                                   escalate_detail, breach_at_enc, escalate_at_enc, ord)
       JOIN locked l ON l.id = t.case_id),
   breached AS (
     UPDATE emergency_pages p SET breached_at = $9, breached_enc = t.breached_enc
       FROM timer t
      WHERE t.unanswered AND p.case_id = t.case_id AND p.tier = t.tier AND p.round = t.round
        AND p.breached_at IS NULL
     RETURNING t.*),
   events AS (
     INSERT INTO case_events (case_id, actor_id, type, detail, at, at_enc)
     SELECT b.case_id, NULL, e.type, e.detail::jsonb, $9, e.at_enc
       FROM breached b,
            LATERAL (VALUES (1, 'sla_breached', b.breach_detail, b.breach_at_enc),
                            (2, 'escalated', b.escalate_detail, b.escalate_at_enc))
              AS e(ord, type, detail, at_enc)
      ORDER BY b.ord, e.ord),
   settled AS (${outboxDone(10)})
   SELECT t.ord::int AS ord, t.unanswered,
          EXISTS (SELECT 1 FROM breached b WHERE b.ord = t.ord) AS breached,
          ARRAY(SELECT p.tier || '/' || p.round FROM emergency_pages p
                 WHERE p.case_id = t.case_id AND p.round >= t.round) AS pages
     FROM timer t`,
);

/**
 * A batch of pages' writes in one statement: the page rows ($1–$10) and the 'paged' timeline
 * entries of those written ($11, $12 their details and sealed moments), the notifications to
 * the people paged ($13–$20), the audit entries of the pages and of what led to them
 * ($21–$29), the webhook deliveries of the notifications created (one already there adds
 * none) to people with a webhook ($30–$34), and the timers and page jobs ($35–$38). Each
 * part is written once whether anything reads it or not; one round trip, not four.
 */
const WRITE_PAGES = preparedStatement(
  'paging.write',
  `WITH page AS (
     INSERT INTO emergency_pages (case_id, tier, round, paged_at, paged_enc, due_at, due_enc,
                                  recipients, breached_at, breached_enc)
     SELECT case_id, tier, round, paged_at, paged_enc, due_at, due_enc,
            string_to_array(recipients, ',')::uuid[], breached_at, breached_enc
       FROM unnest($1::uuid[], $2::int[], $3::int[], $4::timestamptz[], $5::bytea[],
                   $6::timestamptz[], $7::bytea[], $8::text[], $9::timestamptz[], $10::bytea[])
              AS r(case_id, tier, round, paged_at, paged_enc, due_at, due_enc, recipients,
                   breached_at, breached_enc)
     RETURNING case_id, tier, round, paged_at),
   page_events AS (
     INSERT INTO case_events (case_id, actor_id, type, detail, at, at_enc)
     SELECT p.case_id, NULL, 'paged', e.detail::jsonb, p.paged_at, e.at_enc
       FROM page p
       JOIN unnest($1::uuid[], $2::int[], $3::int[], $11::text[], $12::bytea[])
              AS e(case_id, tier, round, detail, at_enc)
         ON e.case_id = p.case_id AND e.tier = p.tier AND e.round = p.round),
   notices AS (${notificationsInsert(13)}),
   audit_added AS (${auditAppend(21)}),
   webhooks AS (${outboxInsertFor(
     30,
     'notices',
     'EXISTS (SELECT 1 FROM staff_webhooks s WHERE s.user_id = w.user_id)',
   )})
   ${outboxInsert(35)}`,
);

/** At most this many pages, or timers, in one transaction. */
const MAX_BATCH = 200;
/** Page transactions under way at once: each holds one pooled connection. */
const MAX_PAGES_IN_FLIGHT = 2;
/**
 * Breach transactions under way at once. A timer that falls due while every one is under way
 * waits for one to end before its breach is even looked at: with two, that wait was p90 10–15
 * and p99 23–39 ms of a quick bench run's surge; with four, p90 2–5 and p99 8–18 ms (adjacent
 * runs, bench/README.md). Four of the worker's ten pooled connections at most, and only while
 * timers fall due together (test/emergency/escalation.e2e-spec.ts holds breaches to four at once).
 */
const MAX_CHECKS_IN_FLIGHT = 4;

/**
 * The climb. Paging a tier writes, in one transaction: the page row (its primary key is the
 * tier and round, so a retried or duplicated job pages nobody twice), one notification per
 * person on call (each with its webhook job), and the tier's SLA timer (a delayed
 * `check-ack` with a deterministic id). When the timer fires and nobody has acknowledged,
 * the breach is recorded and the next tier is paged in the same transaction (an empty tier
 * skipped at once); the last tier is paged again and again until someone answers. Handlers look at the case before acting, so whatever runs
 * late, twice, or after a restart does the right thing once.
 *
 * Timers fall due together (a surge of emergencies, a rota gap): then each breach must not
 * wait behind the others' transactions. Pages and timers that arrive while earlier ones are
 * being written share a transaction (GroupCommit): a few multi-row statements for the whole
 * batch, not a dozen round trips each. The cases are locked in id order, so two batches never
 * deadlock; one case is never twice in a batch, so a retried job sees the first one's work.
 */
@Injectable()
export class PagingService {
  private readonly pages = new GroupCommit<PageKey, PageResult>(
    (items) => this.db.transaction((em) => this.pageAll(em, items)),
    { maxBatch: MAX_BATCH, maxInFlight: MAX_PAGES_IN_FLIGHT, keyOf: (k) => k.caseId },
  );
  private readonly checks = new GroupCommit<TimerKey, CheckResult>(
    (items) => this.db.transaction((em) => this.checkAll(em, items)),
    { maxBatch: MAX_BATCH, maxInFlight: MAX_CHECKS_IN_FLIGHT, keyOf: (k) => k.caseId },
  );

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
    return this.pages.submit({ caseId, tier, round });
  }

  /**
   * The timer's verdict: breached (and the next tier paged), or nothing to do. With `jobId`
   * (the timer's job), its outbox row is deleted in the same transaction, whatever the verdict.
   */
  checkAck(caseId: string, tier: Tier, round: number, jobId?: string): Promise<CheckResult> {
    return this.checks.submit({ caseId, tier, round, jobId });
  }

  /**
   * Pages a batch of tiers: the cases locked (unless the caller holds them: `states`), every
   * tier's rota read in one statement, then one statement (WRITE_PAGES) for the page rows and
   * their timeline entries, the notifications and their webhook deliveries, the timers and the
   * audit trail (`before` first: the entries of what led to these pages). An empty tier below
   * the last is skipped: its page row says so, and the next tier is paged by a page job, or,
   * when `climb` (a breach's own transaction pages on), at once in the same statement.
   */
  private async pageAll(
    em: EntityManager,
    items: readonly PageKey[],
    options: { climb?: boolean; states?: Map<string, CaseState>; before?: AuditEvent[] } = {},
  ): Promise<PageResult[]> {
    const states = options.states ?? (await this.lockCases(em, items));
    const results = new Map<PageKey, PageResult>();
    const todo: PageKey[] = [];
    for (const item of items) {
      const state = states.get(item.caseId);
      if (!state?.unanswered) results.set(item, 'not_needed');
      else if (state.pages.has(pageName(item))) results.set(item, 'already_paged');
      else todo.push(item);
    }
    const events: AuditEvent[] = [...(options.before ?? [])];
    if (todo.length > 0) {
      const now = this.clock.now();
      // Every tier's rota in one round trip: a climb past empty tiers needs several.
      const rotas = await this.rota.tiersAt(em, now);
      // The timer runs on the Clock; what is written is stamped by ExactTimes (the same clock,
      // but for a harness that replays a period).
      const stamp = this.times.now();
      const rows: PageRow[] = [];
      const jobs: OutboxJob[] = [];
      const notices: NewNotification[] = [];
      for (const item of todo) {
        for (let page = item; ;) {
          const { caseId, tier, round } = page;
          const rota = rotas[tier];
          if (rota.onCall.length === 0 && tier < 3) {
            // Nobody on call at this tier: waiting out its SLA would only lose minutes.
            rows.push(this.pageRow(page, [], stamp, stamp, stamp));
            events.push(pageAudit(caseId, 'failure', `tier${tier}_empty`));
            results.set(page, 'tier_empty');
            const above: PageKey = { caseId, tier: (tier + 1) as Tier, round };
            if (!options.climb) jobs.push(pageJob(caseId, above.tier, round));
            else if (!states.get(caseId)!.pages.has(pageName(above))) {
              page = above;
              continue;
            }
            break;
          }
          const due = new Date(now.getTime() + rota.timeoutSeconds * 1000);
          const dueStamp = new Date(stamp.getTime() + rota.timeoutSeconds * 1000);
          rows.push(this.pageRow(page, rota.onCall, stamp, dueStamp));
          jobs.push(checkAckJob(caseId, tier, round, due));
          for (const userId of rota.onCall)
            notices.push({
              userId,
              type: 'emergency_page',
              caseId,
              dedupeKey: `page-${caseId}-t${tier}-r${round}-${userId}`,
            });
          events.push(pageAudit(caseId, 'success', `tier${tier}`));
          results.set(page, 'paged');
          break;
        }
      }
      // Everyone paged has a delivery sealed for them; it is written only if their
      // notification is new and they have a webhook (WRITE_PAGES).
      const notified = this.notifications.paramsOf(notices);
      const deliveries = notified.ids.map((id) =>
        job('emergency', 'deliver-webhook', { notificationId: id }),
      );
      await runPrepared(em, WRITE_PAGES, [
        ...pageParams(rows),
        ...notified.params,
        ...this.audit.columnsOf(events),
        ...this.outbox.paramsFor(deliveries, notified.ids),
        ...this.outbox.paramsOf(jobs),
      ]);
    } else await this.audit.record(events, em);
    return items.map((i) => results.get(i)!);
  }

  /**
   * A batch of timers' verdicts, in as few round trips as they can be (a burst of breaches is
   * when the worker is busiest): one statement locks the cases (in id order), tells which
   * still wait for an answer, marks their pages breached (only those not yet) and records both
   * events of each; then the next tiers are paged in the same transaction (pageAll, climbing
   * past empty tiers), with the audit entries of breaches and pages in one statement. The
   * breach's moment is taken as that statement leaves: what it writes is decided under the
   * case's lock, whatever the moment says.
   */
  private async checkAll(em: EntityManager, items: readonly TimerKey[]): Promise<CheckResult[]> {
    const breachedAt = this.times.now();
    const next = items.map((i) => this.next(i.tier, i.round));
    const eventAt = (caseId: string) =>
      this.times.seal({ table: 'case_events', id: caseId, column: 'at' }, breachedAt);
    const sealedBreach = items.map((i) =>
      this.times.seal(pageTimeBinding(i.caseId, i.tier, i.round, 'breached_at'), breachedAt),
    );
    const rows = rowsOf<{ ord: number; unanswered: boolean; breached: boolean; pages: string[] }>(
      await runPrepared(em, CHECK_TIMERS, [
        items.map((i) => i.caseId),
        items.map((i) => i.tier),
        items.map((i) => i.round),
        sealedBreach.map((m) => m.sealed),
        items.map((i) => JSON.stringify({ tier: i.tier, round: i.round })),
        items.map((i, n) =>
          JSON.stringify({ fromTier: i.tier, toTier: next[n].tier, round: next[n].round }),
        ),
        items.map((i) => eventAt(i.caseId).sealed),
        items.map((i) => eventAt(i.caseId).sealed),
        sealedBreach[0].week,
        ...OutboxLedger.doneParams(items.flatMap((i) => (i.jobId ? [i.jobId] : []))),
      ]),
    );
    const states = new Map<string, CaseState>();
    const breached = new Set<PageKey>();
    for (const row of rows) {
      const item = items[row.ord - 1];
      states.set(item.caseId, { unanswered: row.unanswered, pages: new Set(row.pages) });
      if (row.breached) breached.add(item);
    }
    const open = items.filter((i) => states.get(i.caseId)?.unanswered);
    if (open.length === 0) return items.map(() => 'acknowledged');
    const escalated = items
      .map((i, n) => ({ item: i, next: next[n] }))
      .filter((e) => breached.has(e.item));
    // The next tier's page is the point of the timer: it is written here, not left to a job
    // that would wait in the queue behind the rest of the surge; the breach's audit entries go
    // first, in the same statement as the pages'.
    if (escalated.length > 0)
      await this.pageAll(
        em,
        escalated.map((e) => ({ caseId: e.item.caseId, tier: e.next.tier, round: e.next.round })),
        {
          climb: true,
          states,
          before: escalated.flatMap(({ item, next: to }): AuditEvent[] => [
            {
              actorId: null,
              action: 'emergency.sla_breach',
              recordType: 'case',
              recordId: item.caseId,
              outcome: 'failure',
              reason: `tier${item.tier}`,
            },
            {
              actorId: null,
              action: 'emergency.escalate',
              recordType: 'case',
              recordId: item.caseId,
              outcome: 'success',
              reason: `tier${to.tier}`,
            },
          ]),
        },
      );
    return items.map((i) =>
      !states.get(i.caseId)?.unanswered
        ? 'acknowledged'
        : breached.has(i)
          ? 'escalated'
          : 'already_handled',
    );
  }

  /**
   * Locks the cases in id order (two batches never wait on each other in a circle) and tells,
   * for each, whether it still waits for an answer and which tiers it has been paged at, from
   * the round at hand on: only what paging and its timer decide on, not the reader's facts
   * (CaseLoader).
   */
  private async lockCases(
    em: EntityManager,
    items: readonly PageKey[],
  ): Promise<Map<string, CaseState>> {
    const rows = await em.query<
      Array<{ case_id: string; acknowledged_at: Date | null; status: string; pages: string[] }>
    >(
      `WITH locked AS MATERIALIZED (
         SELECT id, acknowledged_at, status FROM cases
          WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
       SELECT k.case_id::text AS case_id, l.acknowledged_at, l.status,
              ARRAY(SELECT p.tier || '/' || p.round FROM emergency_pages p
                     WHERE p.case_id = k.case_id AND p.round >= k.round) AS pages
         FROM unnest($1::uuid[], $2::int[]) AS k(case_id, round)
         JOIN locked l ON l.id = k.case_id`,
      [items.map((i) => i.caseId), items.map((i) => i.round)],
    );
    return new Map(
      rows.map((row) => [
        row.case_id,
        {
          unanswered: row.acknowledged_at === null && row.status !== 'closed',
          pages: new Set(row.pages),
        },
      ]),
    );
  }

  /** A page row to insert: its times as `pageMoments` seals them, with its timeline entry. */
  private pageRow(
    { caseId, tier, round }: PageKey,
    recipients: string[],
    pagedAt: Date,
    dueAt: Date,
    breachedAt?: Date,
  ): PageRow {
    const p = this.pageMoments(caseId, tier, round, pagedAt, dueAt, breachedAt);
    return {
      caseId,
      tier,
      round,
      recipients,
      paged: p.paged,
      due: p.due,
      breached: p.breached,
      event: p.event,
      detail: JSON.stringify({ tier, round, recipients: recipients.length }),
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

/** A locked case: whether it still waits for an answer, and its pages (`tier/round`). */
interface CaseState {
  unanswered: boolean;
  pages: Set<string>;
}

const pageName = (key: PageKey) => `${key.tier}/${key.round}`;

/** A page row to write, with its 'paged' timeline entry. */
interface PageRow extends PageKey {
  recipients: string[];
  paged: SealedMoment;
  due: SealedMoment;
  breached?: SealedMoment;
  event: SealedMoment;
  detail: string;
}

const pageAudit = (caseId: string, outcome: 'success' | 'failure', reason: string): AuditEvent => ({
  actorId: null,
  action: 'emergency.page',
  recordType: 'case',
  recordId: caseId,
  outcome,
  reason,
});

/** The page rows as WRITE_PAGES takes them ($1–$12), one array per column. */
const pageParams = (rows: readonly PageRow[]): unknown[] => [
  rows.map((r) => r.caseId),
  rows.map((r) => r.tier),
  rows.map((r) => r.round),
  rows.map((r) => r.paged.week),
  rows.map((r) => r.paged.sealed),
  rows.map((r) => r.due.week),
  rows.map((r) => r.due.sealed),
  rows.map((r) => r.recipients.join(',')),
  rows.map((r) => r.breached?.week ?? null),
  rows.map((r) => r.breached?.sealed ?? null),
  rows.map((r) => r.detail),
  rows.map((r) => r.event.sealed),
];
