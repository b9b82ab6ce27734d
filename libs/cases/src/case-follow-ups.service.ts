import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { Actor } from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import { AppConfig, EnvelopeCipher, ExactTimes, job, OutboxWriter, rowsOf } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { CaseError, CaseException } from './case.exception';
import { addEvent } from './case-facts';
import { followUpTime, openNote, sealNote } from './follow-work';
import { CaseTransaction } from './case-transaction';

export type FollowUpStatus = 'open' | 'done' | 'cancelled';

export interface FollowUpView {
  id: string;
  /** The day to call back, YYYY-MM-DD in STATS_TIMEZONE. */
  dueOn: string;
  status: FollowUpStatus;
  /** Free text, sealed at rest like a case note; null when none was written or it was erased. */
  note: string | null;
  setBy: string;
  /** Whether the day has come and the assignee was told (the timer fired). */
  notified: boolean;
  /** Open, and its day is over. */
  overdue: boolean;
}

interface FollowUpRow {
  id: string;
  case_id: string;
  set_by: string;
  status: FollowUpStatus;
  due_at: Date;
  due_enc: Buffer;
  notified: boolean;
  dek_wrapped: Buffer | null;
  note_enc: Buffer | null;
}

/** How far ahead a follow-up may be planned. */
const MAX_DAYS_AHEAD = 366;
const DAY_MS = 86_400_000;

/**
 * Follow-ups: a specialist plans to call the caller back on a day, within the caller's
 * consent to be contacted back. The day waits as a timer in the outbox (sealed, like every
 * job), and when it comes the worker tells the case's assignee. Its times are open work's:
 * the week in the clear, the exact value sealed (docs/security/metadata.md).
 */
@Injectable()
export class CaseFollowUps {
  private readonly dayFormat: Intl.DateTimeFormat;

  constructor(
    private readonly db: DataSource,
    private readonly tx: CaseTransaction,
    private readonly cipher: EnvelopeCipher,
    private readonly times: ExactTimes,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditTrail,
    private readonly notifications: NotificationsService,
    config: AppConfig,
  ) {
    this.dayFormat = new Intl.DateTimeFormat('en-CA', {
      timeZone: config.STATS_TIMEZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  set(
    actor: Actor,
    caseId: string,
    dueOn: string,
    note: string | undefined,
  ): Promise<FollowUpView> {
    return this.tx.run(actor, 'case:follow-up:set', caseId, async (em, { row, facts }) => {
      if (row.status === 'closed' || row.status === 'queued' || row.service === 'emergency')
        throw new CaseException(CaseError.InvalidState);
      // A call back needs the caller's own word that it is safe to call them.
      if (!facts.scopes.includes('contact_back')) throw new CaseException(CaseError.NoContactBack);
      const due = this.dayStart(dueOn);
      const id = randomUUID();
      const dueAt = this.times.seal(followUpTime(id, 'due_at'), due);
      const created = this.times.seal(followUpTime(id, 'created_at'));
      const [dek, sealed] = sealNote(this.cipher, 'case_follow_ups', id, note);
      await em.query(
        `INSERT INTO case_follow_ups (id, case_id, set_by, status, due_at, due_enc, created_at, created_enc, dek_wrapped, note_enc)
         VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9)`,
        [
          id,
          caseId,
          actor.userId,
          dueAt.week,
          dueAt.sealed,
          created.week,
          created.sealed,
          dek,
          sealed,
        ],
      );
      await addEvent(em, this.times, caseId, actor.userId, 'follow_up_set', { followUpId: id });
      // The timer: the worker runs it when the day begins; its due time is sealed in the row.
      await this.outbox.add(em, [
        job(row.service, 'follow-up-due', { followUpId: id }, due, `follow-up-${id}`),
      ]);
      return {
        id,
        dueOn: this.dayFormat.format(due),
        status: 'open',
        note: note ?? null,
        setBy: actor.userId,
        notified: false,
        overdue: false,
      };
    });
  }

  /** Marks an open follow-up done (the call was made) or cancelled. */
  close(
    actor: Actor,
    caseId: string,
    followUpId: string,
    status: 'done' | 'cancelled',
  ): Promise<{ id: string; status: FollowUpStatus }> {
    return this.tx.run(actor, 'case:follow-up:close', caseId, async (em) => {
      const closed = this.times.seal(followUpTime(followUpId, 'closed_at'));
      const rows: unknown = await em.query(
        `UPDATE case_follow_ups SET status = $3, closed_at = $4, closed_enc = $5
          WHERE id = $1 AND case_id = $2 AND status = 'open' RETURNING id`,
        [followUpId, caseId, status, closed.week, closed.sealed],
      );
      if (rowsOf(rows).length === 0) throw new CaseException(CaseError.FollowUpClosed);
      await addEvent(em, this.times, caseId, actor.userId, `follow_up_${status}`, {
        followUpId,
      });
      return { id: followUpId, status };
    });
  }

  /** A case's follow-ups, notes opened: only for a reader the policy allowed the full case. */
  async ofCase(caseId: string, readerId: string): Promise<FollowUpView[]> {
    const rows: FollowUpRow[] = await this.db.query(
      `SELECT * FROM case_follow_ups WHERE case_id = $1 ORDER BY due_at, id`,
      [caseId],
    );
    const views: FollowUpView[] = [];
    for (const row of rows)
      views.push({
        ...this.view(row),
        note: await openNote(
          this.cipher,
          this.audit,
          readerId,
          'case_follow_ups',
          row.id,
          row.dek_wrapped,
          row.note_enc,
        ),
      });
    return views.sort((a, b) => a.dueOn.localeCompare(b.dueOn));
  }

  /** The earliest open follow-up of each case, for the assignee's list (no notes). */
  async nextDue(caseIds: readonly string[]): Promise<Map<string, string>> {
    if (caseIds.length === 0) return new Map();
    const rows: FollowUpRow[] = await this.db.query(
      `SELECT id, case_id, due_at, due_enc FROM case_follow_ups
        WHERE case_id = ANY($1::uuid[]) AND status = 'open'`,
      [caseIds],
    );
    const next = new Map<string, string>();
    for (const row of rows) {
      const day = this.dueOn(row);
      const known = next.get(row.case_id);
      if (!known || day < known) next.set(row.case_id, day);
    }
    return next;
  }

  /**
   * Open follow-ups whose day has come, of the cases `scopeSql` allows (the caller's list
   * scope, on `cases c`): metadata only. SQL fetches by the week; the exact day is compared here.
   */
  async dueInScope(
    scopeSql: string,
    params: unknown[],
  ): Promise<Array<{ id: string; caseId: string; dueOn: string; overdue: boolean }>> {
    const rows: FollowUpRow[] = await this.db.query(
      `SELECT f.id, f.case_id, f.due_at, f.due_enc, f.status FROM case_follow_ups f
         JOIN cases c ON c.id = f.case_id
        WHERE f.status = 'open' AND c.status <> 'closed' AND f.due_at <= $${params.length + 1}
          AND ${scopeSql}
        ORDER BY f.due_at LIMIT 500`,
      [...params, this.times.thisWeek()],
    );
    const today = this.dayFormat.format(this.times.now());
    return rows
      .map((row) => ({ id: row.id, caseId: row.case_id, dueOn: this.dueOn(row) }))
      .filter((f) => f.dueOn <= today)
      .map((f) => ({ ...f, overdue: f.dueOn < today }))
      .sort((a, b) => a.dueOn.localeCompare(b.dueOn));
  }

  /**
   * The worker's half (the `follow-up-due` timer): tells the case's assignee, once. Nothing
   * happens for a follow-up done or cancelled in the meantime, or a case closed; a retried
   * job finds it told already.
   */
  async due(followUpId: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const rows: Array<{ case_id: string; assignee_id: string | null; status: string }> =
        await em.query(
          `SELECT f.case_id, c.assignee_id, c.status FROM case_follow_ups f JOIN cases c ON c.id = f.case_id
            WHERE f.id = $1 AND f.status = 'open' AND NOT f.notified FOR UPDATE OF f`,
          [followUpId],
        );
      const row = rows[0];
      if (!row || !row.assignee_id || row.status === 'closed') return;
      await this.notifications.create(em, [
        {
          userId: row.assignee_id,
          type: 'follow_up_due',
          caseId: row.case_id,
          dedupeKey: `follow-up-due-${followUpId}`,
        },
      ]);
      await em.query(`UPDATE case_follow_ups SET notified = true WHERE id = $1`, [followUpId]);
    });
  }

  private view(row: FollowUpRow): FollowUpView {
    const dueOn = this.dueOn(row);
    return {
      id: row.id,
      dueOn,
      status: row.status,
      note: null,
      setBy: row.set_by,
      notified: row.notified,
      overdue: row.status === 'open' && dueOn < this.dayFormat.format(this.times.now()),
    };
  }

  private dueOn(row: Pick<FollowUpRow, 'id' | 'due_at' | 'due_enc'>): string {
    return this.dayFormat.format(
      this.times.open(followUpTime(row.id, 'due_at'), row.due_enc, row.due_at),
    );
  }

  /**
   * Midnight, in STATS_TIMEZONE, of the calendar day `YYYY-MM-DD`: today or later, within
   * MAX_DAYS_AHEAD. Noon UTC of the date falls on that date in every zone within ±11 h.
   */
  private dayStart(dueOn: string): Date {
    const [y, m, d] = dueOn.split('-').map(Number);
    const noon = new Date(Date.UTC(y, m - 1, d, 12));
    if (
      Number.isNaN(noon.getTime()) ||
      noon.getUTCFullYear() !== y ||
      noon.getUTCMonth() !== m - 1 ||
      noon.getUTCDate() !== d
    )
      throw new CaseException(CaseError.InvalidFollowUpDate);
    const day = this.times.dayOf(noon);
    const today = this.times.today();
    if (day < today || day.getTime() > today.getTime() + MAX_DAYS_AHEAD * DAY_MS)
      throw new CaseException(CaseError.InvalidFollowUpDate);
    return day;
  }
}
