import { Inject, Injectable } from '@nestjs/common';
import {
  CallerRegistry,
  CONTACT_COLUMNS,
  ContactRecords,
  ContactRow,
  CONTACTS_WITH_FACTS,
} from '@mayak/contacts';
import { shredCaseNotes } from '@mayak/cases';
import { SessionService } from '@mayak/identity';
import { idempotencyContactRef } from '@mayak/intake';
import { affectedOf, ExactTimes, KeyedHash, Logger, LOGGER, OutboxSeal } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent, AuditTrail, auditTimeBinding } from '@mayak/audit';
import { StatsRollupService } from '@mayak/statistics';

/** How many expired contacts one transaction deletes. */
const DELETE_BATCH = 200;

export interface RetentionReport {
  sessions: number;
  outbox: number;
  /** Expired contacts whose encrypted fields were erased (their cases still open). */
  contacts: number;
  notes: number;
  /** What retention deleted outright, row and all. */
  deleted: DeletionCounts;
}

export interface RetentionReceipt {
  at: Date;
  deleted: DeletionCounts;
}

export interface DeletionCounts {
  contacts: number;
  cases: number;
  notes: number;
  events: number;
  notifications: number;
  pages: number;
  grants: number;
  callers: number;
}

/**
 * Destroys what has outlived its purpose. Runs hourly on the maintenance queue; every step
 * is idempotent, so a retry or a second worker doing the same is harmless.
 *
 * A contact past the retention period the caller agreed to is deleted, row and all, with its
 * consent and its cases (with their notes, events, notifications, pages and break-glass
 * grants) once every one of those cases is closed; its statistics stay only as part of the
 * aggregates (StatsRollupService.retire). A caller with no contact left is deleted too: their
 * hash, encrypted identifier and contact-back details go. Each sweep that deletes writes a
 * receipt into the audit chain: the counts, and an entry per deleted contact and case.
 *
 * Until its cases close, an expired contact only loses its encrypted fields (its data key is
 * destroyed), and so do the notes of its closed cases.
 */
@Injectable()
export class RetentionService {
  /** The newest finished outbox row at this process's previous sweep. */
  private finishedUpTo?: string;

  constructor(
    private readonly db: DataSource,
    private readonly sessions: SessionService,
    private readonly stats: StatsRollupService,
    private readonly audit: AuditTrail,
    private readonly contacts: ContactRecords,
    private readonly callers: CallerRegistry,
    private readonly hash: KeyedHash,
    private readonly outboxSeal: OutboxSeal,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly times: ExactTimes,
  ) {}

  async sweep(): Promise<RetentionReport> {
    const sessions = await this.sessions.purgeExpired();
    const outbox = await this.sweepFinishedJobs();
    // Per-account counts (staff_counters) are needed for their hour or day, no longer.
    await this.db.query(
      `DELETE FROM staff_counters WHERE window_start < now() - interval '2 days'`,
    );
    // A decided withdrawal request is kept a week, for the coordinators' record.
    await this.db.query(
      `DELETE FROM pending_withdrawals WHERE status IN ('applied', 'rejected') AND decided_day < now() - interval '7 days'`,
    );
    // So is a decided role grant (the audit trail keeps it after), and an enrolment code
    // unused a week past its expiry (the account stays without a password until a new one).
    await this.db.query(
      `DELETE FROM role_grants_pending WHERE state IN ('confirmed', 'rejected') AND decided_day < now() - interval '7 days'`,
    );
    await this.db.query(`DELETE FROM enrolment_codes WHERE expires_at < now() - interval '7 days'`);
    // Sign-in failures slow their address down for a day at most (SignInThrottle).
    await this.db.query(
      `DELETE FROM sign_in_throttle WHERE last_failure_at < now() - interval '1 day'`,
    );
    // (Idempotency keys go sooner, with the volunteer's link: VolunteerLinkExpiry.)
    const contacts = affectedOf(
      await this.db.query(
        `UPDATE contacts SET dek_wrapped = NULL, pseudonym_enc = NULL, summary_enc = NULL, referrals_enc = NULL, erased_at = date_trunc('week', now())
          WHERE expires_at < now() AND erased_at IS NULL`,
      ),
    );
    const expiredClosed: Array<{ id: string }> = await this.db.query(
      `SELECT c.id FROM cases c JOIN contacts ct ON ct.id = c.contact_id
        WHERE c.status = 'closed' AND ct.expires_at < now()
          AND EXISTS (SELECT 1 FROM case_notes n WHERE n.case_id = c.id AND n.erased_at IS NULL)`,
    );
    const notes = await shredCaseNotes(
      this.db.manager,
      expiredClosed.map((c) => c.id),
      this.times.thisWeek(),
    );
    const deleted = await this.deleteExpired();
    const report = { sessions, outbox, contacts, notes, deleted };
    this.logger.info(report, 'retention sweep');
    return report;
  }

  /**
   * Deletes the outbox rows an older version left marked done, once they were already done at
   * this process's previous sweep (one to two hours). A job finishing now deletes its own row
   * (OutboxLedger), so after an upgrade's first hours there is nothing here. The rows' times
   * hold only the day (OutboxWriter), so the age of a finished row is not on record; the
   * newest finished row at each sweep is remembered instead. A process's first sweep only
   * remembers.
   */
  private async sweepFinishedJobs(): Promise<number> {
    const deleted =
      this.finishedUpTo === undefined
        ? 0
        : affectedOf(
            await this.db.query(`DELETE FROM outbox WHERE status = 'done' AND id <= $1::bigint`, [
              this.finishedUpTo,
            ]),
          );
    const [{ newest }]: Array<{ newest: string | null }> = await this.db.query(
      `SELECT max(id)::text AS newest FROM outbox WHERE status = 'done'`,
    );
    this.finishedUpTo = newest ?? this.finishedUpTo ?? '0';
    return deleted;
  }

  /** The receipts the sweeps wrote into the audit chain, newest first. */
  async receipts(limit = 50): Promise<RetentionReceipt[]> {
    const rows: Array<{
      at: Date;
      at_enc: Buffer | null;
      reason: string;
      record_id: string | null;
      action: string;
    }> = await this.db.query(
      `SELECT at, at_enc, reason, record_id, action FROM audit_entries WHERE action = 'retention.receipt' ORDER BY seq DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      // The day is in the clear; the exact time is sealed beside it (AuditTrail).
      at: this.times.open(auditTimeBinding(row), row.at_enc, row.at),
      deleted: Object.fromEntries(
        row.reason.split(',').map((part) => {
          const [what, n] = part.split(':');
          return [what, Number(n)];
        }),
      ) as unknown as DeletionCounts,
    }));
  }

  /** Deletes every expired contact whose cases are all closed, a batch per transaction. */
  private async deleteExpired(): Promise<DeletionCounts> {
    const total = emptyCounts();
    for (;;) {
      const counts = await this.db.transaction((em) => this.deleteBatch(em));
      if (!counts) break;
      for (const key of Object.keys(total) as Array<keyof DeletionCounts>)
        total[key] += counts[key];
      if (counts.contacts < DELETE_BATCH) break;
    }
    if (total.contacts > 0)
      await this.audit.record({
        actorId: null,
        action: 'retention.receipt',
        recordType: 'retention',
        outcome: 'success',
        reason: Object.entries(total)
          .map(([what, n]) => `${what}:${n}`)
          .join(','),
      });
    return total;
  }

  /**
   * The finished outbox rows whose job names one of these cases or notifications. Their jobs
   * are sealed, so they are opened here: the failed rows, and the done rows an older version left;
   * a row an older version wrote is read in plaintext.
   */
  private async finishedJobsOf(
    em: EntityManager,
    caseIds: string[],
    notificationIds: string[],
  ): Promise<string[]> {
    if (caseIds.length === 0 && notificationIds.length === 0) return [];
    const cases = new Set(caseIds);
    const notifications = new Set(notificationIds);
    const rows: Array<{
      id: string;
      job_key: string | null;
      sealed: Buffer | null;
      payload: Record<string, unknown> | null;
    }> = await em.query(
      `SELECT id, job_key, sealed, payload FROM outbox WHERE status IN ('done', 'failed')`,
    );
    return rows
      .filter((row) => {
        let payload = row.payload;
        if (row.sealed)
          try {
            payload = this.outboxSeal.open(row.job_key ?? '', row.sealed).payload;
          } catch {
            return false;
          }
        return (
          cases.has(String(payload?.caseId)) || notifications.has(String(payload?.notificationId))
        );
      })
      .map((row) => row.id);
  }

  private async deleteBatch(em: EntityManager): Promise<DeletionCounts | undefined> {
    const doomed: ContactRow[] = await em.query(
      `SELECT ${CONTACT_COLUMNS} FROM ${CONTACTS_WITH_FACTS}
        WHERE ct.expires_at < now()
          AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.contact_id = ct.id AND c.status <> 'closed')
        ORDER BY ct.expires_at LIMIT $1 FOR UPDATE OF ct SKIP LOCKED`,
      [DELETE_BATCH],
    );
    if (doomed.length === 0) return undefined;
    const contactIds = doomed.map((d) => d.id);
    // Who called is sealed with the contact's facts.
    const callers = new Map<string, number>();
    for (const contact of doomed) {
      const { callerId } = await this.contacts.attributes(contact, null);
      callers.set(callerId, (callers.get(callerId) ?? 0) + 1);
    }
    const ids = async (sql: string, params: unknown[]): Promise<string[]> =>
      (await em.query<Array<{ id: string }>>(sql, params)).map((row) => row.id);
    const caseIds = await ids(
      `SELECT id FROM cases WHERE contact_id = ANY($1::uuid[]) FOR UPDATE`,
      [contactIds],
    );
    const notificationIds = await ids(
      `SELECT id FROM notifications WHERE case_id = ANY($1::uuid[])`,
      [caseIds],
    );

    // The statistics first, while the rows they are computed from are still there.
    await this.stats.retire(em, contactIds);
    const count = async (sql: string, params: unknown[]): Promise<number> =>
      affectedOf(await em.query(sql, params));
    await em.query(`DELETE FROM webhook_deliveries WHERE notification_id = ANY($1::uuid[])`, [
      notificationIds,
    ]);
    await em.query(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [
      await this.finishedJobsOf(em, caseIds, notificationIds),
    ]);
    const counts: DeletionCounts = {
      contacts: 0,
      cases: caseIds.length,
      notifications: await count(`DELETE FROM notifications WHERE id = ANY($1::uuid[])`, [
        notificationIds,
      ]),
      pages: await count(`DELETE FROM emergency_pages WHERE case_id = ANY($1::uuid[])`, [caseIds]),
      grants: await count(`DELETE FROM break_glass_grants WHERE case_id = ANY($1::uuid[])`, [
        caseIds,
      ]),
      events: await count(`DELETE FROM case_events WHERE case_id = ANY($1::uuid[])`, [caseIds]),
      notes: await count(`DELETE FROM case_notes WHERE case_id = ANY($1::uuid[])`, [caseIds]),
      callers: 0,
    };
    // A later case escalated from one of these keeps going, without the link.
    await em.query(
      `UPDATE cases SET escalated_from = NULL WHERE escalated_from = ANY($1::uuid[])`,
      [caseIds],
    );
    await em.query(`DELETE FROM cases WHERE id = ANY($1::uuid[])`, [caseIds]);
    await em.query(`DELETE FROM consents WHERE contact_id = ANY($1::uuid[])`, [contactIds]);
    // A retried intake's stored answer names the contact.
    await em.query(
      `DELETE FROM idempotency_keys WHERE contact_ref = ANY($1::bytea[]) OR response->>'id' = ANY($2::text[])`,
      [contactIds.map((id) => idempotencyContactRef(this.hash, id)), contactIds],
    );
    counts.contacts = await count(`DELETE FROM contacts WHERE id = ANY($1::uuid[])`, [contactIds]);
    counts.callers = await this.callers.forgetContacts(em, callers);
    await this.audit.record(
      [
        ...contactIds.map((id) => deletion('contact', id)),
        ...caseIds.map((id) => deletion('case', id)),
      ],
      em,
    );
    return counts;
  }
}

function emptyCounts(): DeletionCounts {
  return {
    contacts: 0,
    cases: 0,
    notes: 0,
    events: 0,
    notifications: 0,
    pages: 0,
    grants: 0,
    callers: 0,
  };
}

/** The receipt's line for one deleted record (its id becomes a keyed pseudonym in the trail). */
function deletion(recordType: 'contact' | 'case', recordId: string): AuditEvent {
  return { actorId: null, action: 'retention.deleted', recordType, recordId, outcome: 'success' };
}
