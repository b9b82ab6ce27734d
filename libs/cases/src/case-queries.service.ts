import { Injectable } from '@nestjs/common';
import {
  AccessControl,
  AccessError,
  AccessException,
  CASE_FIELDS,
  CaseAction,
  caseScopeSql,
  CaseView,
  couldEverAllow,
  Service,
  serviceScope,
} from '@mayak/access';
import { AuditTrail } from '@mayak/audit';
import { CallerRegistry, ContactRecords, ContactRow } from '@mayak/contacts';
import { Actor } from '@mayak/identity';
import { DecryptionError, EnvelopeCipher, ExactTimes } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { CaseError, CaseException } from './case.exception';
import {
  CASE_FACTS_COLUMNS,
  CASE_FACTS_JOIN,
  CaseAttributes,
  caseAttributes,
  CaseLoader,
  CaseRow,
  withExactTimes,
} from './case-facts';
import { CaseFollowUps } from './case-follow-ups.service';
import { CaseHandovers } from './case-handovers.service';
import { CaseNotesService } from './case-notes.service';
import { CaseTimeSealer, SealedCaseTimes } from './case-time-sealer.service';

export type CaseListView = 'mine' | 'pool' | 'board';

const LIST_ACTION: Record<CaseListView, CaseAction> = {
  mine: 'case:list-mine',
  pool: 'case:list-pool',
  board: 'case:list-board',
};

export interface TimelineEntry {
  at: Date;
  type: string;
  actorId: string | null;
  detail: Record<string, unknown>;
}

const time = (d: Date | null) => d?.getTime() ?? 0;
/** The lists' orders, as SQL gives them by the day, on the exact times. */
const LIST_ORDER: Record<CaseListView, (a: CaseRow, b: CaseRow) => number> = {
  pool: (a, b) => a.priority - b.priority || time(a.created_at) - time(b.created_at),
  board: (a, b) => time(b.updated_at) - time(a.updated_at),
  mine: (a, b) => a.priority - b.priority || time(a.due_at) - time(b.due_at),
};

/** Keeps only the fields the view allows: what a role may not see is never in the response. */
export function pick(record: Record<string, unknown>, view: CaseView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of CASE_FIELDS[view]) if (field in record) out[field] = record[field];
  return out;
}

/** Everything a case row can show, before the reader's view picks from it. */
export function caseRecord(row: CaseRow, attributes: CaseAttributes): Record<string, unknown> {
  return {
    id: row.id,
    service: row.service,
    status: row.status,
    priority: row.priority,
    assigneeId: row.assignee_id,
    ...attributes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    assignedAt: row.assigned_at,
    acknowledgedAt: row.acknowledged_at,
    closedAt: row.closed_at,
    dueAt: row.due_at,
    outcome: row.outcome,
    waitingSeconds: Math.max(0, Math.round((Date.now() - row.created_at.getTime()) / 1000)),
  };
}

/** Lists and reads of cases, each shaped by the policy's view for the reader. */
@Injectable()
export class CaseQueriesService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly notes: CaseNotesService,
    private readonly contacts: ContactRecords,
    private readonly callers: CallerRegistry,
    private readonly loader: CaseLoader,
    private readonly cipher: EnvelopeCipher,
    private readonly sealer: CaseTimeSealer,
    private readonly times: ExactTimes,
    private readonly followUps: CaseFollowUps,
    private readonly handovers: CaseHandovers,
  ) {}

  async list(
    actor: Actor,
    view: CaseListView,
    filter: { service?: Service; status?: string } = {},
  ): Promise<Array<Record<string, unknown>>> {
    const action = LIST_ACTION[view];
    if (!couldEverAllow(actor, action)) {
      await this.audit.record({ actorId: actor.userId, action, outcome: 'deny', reason: 'role' });
      throw new AccessException(AccessError.Forbidden);
    }
    const scope = caseScopeSql(actor, action);
    const params = [...scope.params];
    const where = [scope.sql];
    if (filter.service) where.push(`c.service = $${params.push(filter.service)}`);
    if (filter.status) where.push(`c.status = $${params.push(filter.status)}`);
    else if (view !== 'pool') where.push(`c.status <> 'closed'`);
    const order =
      view === 'pool'
        ? 'c.priority, c.created_at'
        : view === 'board'
          ? 'c.updated_at DESC'
          : 'c.priority, c.due_at';
    // SQL orders by the day (all that open work keeps in the clear); the page it returns is
    // ordered exactly here, once the sealed times are open.
    const rows: CaseRow[] = (
      await this.db.query<CaseRow[]>(
        `SELECT c.*, ${CASE_FACTS_COLUMNS} FROM cases c ${CASE_FACTS_JOIN}
          WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT 500`,
        params,
      )
    )
      .map((row) => withExactTimes(this.times, row))
      .sort(LIST_ORDER[view]);
    await this.access.recordList(actor, action, rows.length);
    const fields = view === 'board' ? 'metadata' : view;
    // Only a view that shows them opens the contact's facts.
    const shows = ['region', 'ageBand', 'topics'].some((f) => CASE_FIELDS[fields].includes(f));
    const none: CaseAttributes = { region: null, ageBand: null, topics: null };
    // The assignee's own list says which cases have a call back coming (no notes).
    const due = CASE_FIELDS[fields].includes('followUpDue')
      ? await this.followUps.nextDue(rows.map((r) => r.id))
      : new Map<string, string>();
    return rows.map((row) =>
      pick(
        {
          ...caseRecord(row, shows ? caseAttributes(this.cipher, row) : none),
          followUpDue: due.get(row.id) ?? null,
        },
        fields,
      ),
    );
  }

  async read(actor: Actor, caseId: string): Promise<Record<string, unknown>> {
    const loaded = await this.loader.load(this.db.manager, caseId);
    const judgement = this.access.judgeCase(actor, 'case:read', caseId, loaded?.facts);
    const view = await this.access.enforce(judgement);
    const row = withExactTimes(this.times, loaded!.row);
    const wanted = CASE_FIELDS[view];
    const contactRow =
      wanted.includes('contact') ||
      wanted.includes('callerId') ||
      (view === 'full' && row.times_enc)
        ? await this.contacts.findForCase(row.contact_id)
        : undefined;
    // A closed case keeps only days in the clear; a reader of its content gets them exactly.
    const times = view === 'full' ? this.exactTimes(row, contactRow) : undefined;
    const record = caseRecord(
      times ? { ...row, ...times.case } : row,
      caseAttributes(this.cipher, row),
    );
    // The link to the caller is sealed with the contact's facts.
    if (wanted.includes('callerId') && contactRow)
      record.callerId = (await this.contacts.attributes(contactRow, actor.userId)).callerId;
    // Seen beyond the caller's consent: the reader is told so, and until when.
    if (judgement.event.breakGlass)
      record.breakGlass = { expiresAt: await this.grantExpiry(caseId, actor.userId) };
    if (wanted.includes('timeline')) record.timeline = await this.timeline(caseId, times?.events);
    if (
      view === 'withdrawn' &&
      !(loaded!.row.withdrawn_scopes ?? []).includes(serviceScope(row.service))
    ) {
      // Never given, not withdrawn (an emergency raised for a caller who did not agree to
      // emergency help): nothing was destroyed. The content is withheld; break-glass opens it.
      record.withheld = 'no_consent';
    } else if (view === 'withdrawn') {
      // Consent is gone: say what existed and that it was erased, show none of it.
      record.notes = (await this.notes.list(caseId)).map((n) => ({
        ...n,
        text: null,
        erased: true,
      }));
      record.erased = ['notes', 'contact'];
    } else if (wanted.includes('notes')) {
      const notes = await this.notes.read(caseId, actor.userId);
      if (times) {
        for (const note of notes) {
          const at = times.notes[note.id]?.createdAt;
          if (at) note.createdAt = new Date(at);
        }
        // The day alone cannot order a day's notes; the exact times can.
        notes.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      }
      record.notes = notes;
    }
    if (wanted.includes('followUps'))
      record.followUps = await this.followUps.ofCase(caseId, actor.userId);
    // The sender sees the offer they made; the colleague offered it sees it with its note.
    if (wanted.includes('handover'))
      record.handover = await this.handovers.pendingOf(caseId, actor.userId);
    if (wanted.includes('contact'))
      record.contact = await this.contact(
        contactRow,
        loaded!.facts.scopes,
        actor.userId,
        loaded!.facts.service,
      );
    return pick(record, view);
  }

  /**
   * The exact times CaseTimeSealer sealed when the case closed, the case's own as Dates by
   * column; undefined for a case not sealed, or whose contact's data key is gone (the days
   * are then all there is).
   */
  private exactTimes(
    row: CaseRow,
    contact: ContactRow | undefined,
  ): (Omit<SealedCaseTimes, 'case'> & { case: Record<string, Date | null> }) | undefined {
    if (!row.times_sealed || !row.times_enc || !contact?.dek_wrapped) return undefined;
    let times: SealedCaseTimes | undefined;
    try {
      const dek = this.cipher.unwrapDataKey('contacts', contact.id, contact.dek_wrapped);
      times = this.sealer.open(row.id, dek, row.times_enc);
      dek.key.fill(0);
    } catch (error) {
      if (error instanceof DecryptionError) return undefined;
      throw error;
    }
    if (!times) return undefined;
    return {
      ...times,
      case: Object.fromEntries(
        Object.entries(times.case).map(([column, at]) => [column, at ? new Date(at) : null]),
      ),
    };
  }

  private async grantExpiry(caseId: string, userId: string): Promise<Date | null> {
    const rows: Array<{ expires_at: Date | null }> = await this.db.query(
      `SELECT max(expires_at) AS expires_at FROM break_glass_grants WHERE case_id = $1 AND user_id = $2`,
      [caseId, userId],
    );
    return rows[0]?.expires_at ?? null;
  }

  /** In order of happening (event ids grow); at the exact times when the case was sealed. */
  private async timeline(caseId: string, exact?: Record<string, string>): Promise<TimelineEntry[]> {
    const rows: Array<{
      id: string;
      at: Date;
      at_enc: Buffer | null;
      type: string;
      actor_id: string | null;
      detail: Record<string, unknown>;
    }> = await this.db.query(
      `SELECT id::text, at, at_enc, type, actor_id, detail FROM case_events WHERE case_id = $1 ORDER BY id`,
      [caseId],
    );
    const binding = { table: 'case_events', id: caseId, column: 'at' };
    return rows.map((r) => ({
      at: exact?.[r.id] ? new Date(exact[r.id]) : this.times.open(binding, r.at_enc, r.at),
      type: r.type,
      actorId: r.actor_id,
      detail: r.detail,
    }));
  }

  /**
   * The contact that raised the case, as far as the caller's consent covers it. Of the
   * services the caller sought it names only the case's own: that a caller also asked a
   * psychologist is not the lawyer's to know (each case is sealed from the others).
   */
  private async contact(
    contactRow: ContactRow | undefined,
    scopes: readonly string[],
    readerId: string,
    service: string,
  ): Promise<Record<string, unknown> | null> {
    if (!contactRow) return null;
    const { callerId, ...contact } = await this.contacts.view(contactRow, readerId);
    const result: Record<string, unknown> = {
      ...contact,
      services: contact.services.filter((s) => s === service),
    };
    if (scopes.includes('contact_back')) {
      try {
        const details = await this.callers.contactDetails(callerId);
        if (details) result.contactBack = details;
        else (result.erased as string[]).push('contactBack');
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        await this.audit.record({
          actorId: readerId,
          action: 'crypto.decrypt',
          recordType: 'caller',
          recordId: callerId,
          outcome: 'failure',
          reason: 'integrity',
        });
        throw new CaseException(CaseError.RecordUnreadable);
      }
    }
    return result;
  }
}
