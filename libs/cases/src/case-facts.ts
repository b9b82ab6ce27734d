import { Injectable } from '@nestjs/common';
import {
  CaseFacts,
  CaseStatus,
  effectiveScopes,
  Service,
  withinVolunteerWindow,
} from '@mayak/access';
import { openAttributes } from '@mayak/contacts';
import { AppConfig, Clock, DecryptionError, EnvelopeCipher, ExactTimes } from '@mayak/platform';
import { EntityManager } from 'typeorm';

export interface CaseRow {
  id: string;
  service: Service;
  status: CaseStatus;
  priority: number;
  contact_id: string;
  assignee_id: string | null;
  declined_by: string[];
  outcome: string | null;
  created_at: Date;
  updated_at: Date;
  assigned_at: Date | null;
  acknowledged_at: Date | null;
  closed_at: Date | null;
  due_at: Date;
  escalated_from: string | null;
  /** Open work: each time column holds the day, its exact time is sealed beside it (ExactTimes). */
  created_enc: Buffer | null;
  updated_enc: Buffer | null;
  assigned_enc: Buffer | null;
  acknowledged_enc: Buffer | null;
  closed_enc: Buffer | null;
  due_enc: Buffer | null;
  /** Closed and sealed: the exact times are in times_enc, the columns hold the day. */
  times_sealed: boolean;
  times_enc: Buffer | null;
  scopes: string[];
  withdrawn_scopes: string[];
  paged_user_ids: string[];
  break_glass_user_ids: string[];
  /** The colleague a pending handover offers the case to (CaseHandovers); else null. */
  handover_to: string | null;
  /** NULL once the volunteer's window has passed (VolunteerLinkExpiry). */
  origin_volunteer_id: string | null;
  /** The contact's sealed facts: the case's region, age band and topics are read from them. */
  facts_dek_wrapped: Buffer;
  facts_enc: Buffer;
}

/** A case's own time columns. */
export const CASE_TIMES = [
  'created_at',
  'updated_at',
  'assigned_at',
  'acknowledged_at',
  'closed_at',
  'due_at',
] as const;
export type CaseTime = (typeof CASE_TIMES)[number];

/** Where open work keeps a time column's exact value: `created_at` → `created_enc`. */
export const sealedTimeColumn = (column: `${string}_at`): string => column.replace(/_at$/, '_enc');

/**
 * The row with its exact times, opened from their sealed columns (ExactTimes); a column
 * with nothing sealed beside it keeps its own value (a day, once the case is sealed closed).
 */
export function withExactTimes<T extends Pick<CaseRow, 'id' | CaseTime>>(
  times: ExactTimes,
  row: T,
): T {
  const out: T = { ...row };
  for (const column of CASE_TIMES) {
    const sealed = (row as Record<string, unknown>)[sealedTimeColumn(column)] as Buffer | null;
    if (sealed)
      (out as Record<string, unknown>)[column] = times.open(
        { table: 'cases', id: row.id, column },
        sealed,
        row[column],
      );
  }
  return out;
}

/** Select from `cases c` joined with CASE_FACTS_JOIN. */
export const CASE_FACTS_COLUMNS = `cf.dek_wrapped AS facts_dek_wrapped, cf.facts_enc`;
export const CASE_FACTS_JOIN = `JOIN contact_facts cf ON cf.contact_id = c.contact_id`;

/** What a case shows of the contact that raised it, for routing and for its readers. */
export interface CaseAttributes {
  region: string | null;
  ageBand: string | null;
  topics: string[] | null;
}

/**
 * A case's region, age band and topics, from its contact's sealed facts (they were never
 * the case's own: the case was opened with the contact's). A ciphertext that does not open
 * gives nulls, so that one damaged row does not take a whole list down.
 */
export function caseAttributes(
  cipher: EnvelopeCipher,
  row: Pick<CaseRow, 'contact_id' | 'facts_dek_wrapped' | 'facts_enc'>,
): CaseAttributes {
  try {
    const facts = openAttributes(cipher, row.contact_id, row.facts_dek_wrapped, row.facts_enc);
    return { region: facts.region, ageBand: facts.ageBand, topics: facts.topics };
  } catch (error) {
    if (error instanceof DecryptionError) return { region: null, ageBand: null, topics: null };
    throw error;
  }
}

export interface LoadedCase {
  row: CaseRow;
  facts: CaseFacts;
}

/**
 * The case and everything the policy weighs about it, in one query: the consent it lives
 * under, who was paged for it, who holds an unexpired break-glass grant (by the Clock), and
 * who logged the contact that raised it. With `lock`, the case row stays locked for the
 * rest of the transaction, so the decision and the change see the same state.
 */
@Injectable()
export class CaseLoader {
  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly cipher: EnvelopeCipher,
  ) {}

  /** When the contact that raised the case was logged (ms), or undefined if its facts do not open. */
  private loggedAt(row: CaseRow): number | undefined {
    try {
      return Date.parse(
        openAttributes(this.cipher, row.contact_id, row.facts_dek_wrapped, row.facts_enc).loggedAt,
      );
    } catch (error) {
      if (error instanceof DecryptionError) return undefined;
      throw error;
    }
  }

  async load(em: EntityManager, caseId: string, lock = false): Promise<LoadedCase | undefined> {
    const now = this.clock.now();
    const rows: CaseRow[] = await em.query(
      `SELECT c.*, cs.scopes, cs.withdrawn_scopes, ${CASE_FACTS_COLUMNS},
              ct.volunteer_id AS origin_volunteer_id,
              (SELECT h.to_id FROM case_handovers h WHERE h.case_id = c.id AND h.status = 'pending') AS handover_to,
              coalesce((SELECT array_agg(DISTINCT r) FROM emergency_pages p, unnest(p.recipients) r WHERE p.case_id = c.id), '{}') AS paged_user_ids,
              coalesce((SELECT array_agg(DISTINCT g.user_id) FROM break_glass_grants g
                         WHERE g.case_id = c.id AND g.granted_at <= $2 AND g.expires_at > $2), '{}') AS break_glass_user_ids
         FROM cases c
         JOIN consents cs ON cs.contact_id = c.contact_id
         JOIN contacts ct ON ct.id = c.contact_id
         ${CASE_FACTS_JOIN}
        WHERE c.id = $1 ${lock ? 'FOR UPDATE OF c' : ''}`,
      [caseId, now],
    );
    const row = rows[0];
    if (!row) return undefined;
    // When the contact was logged is sealed with its facts; the link is cleared minutely
    // when the window ends, and checked here to the second.
    const loggedAt = row.origin_volunteer_id ? this.loggedAt(row) : undefined;
    return {
      row,
      facts: {
        service: row.service,
        status: row.status,
        assigneeId: row.assignee_id,
        scopes: effectiveScopes(row.scopes, row.withdrawn_scopes),
        pagedUserIds: row.paged_user_ids,
        breakGlassUserIds: row.break_glass_user_ids,
        declinedBy: row.declined_by ?? [],
        handoverRecipientId: row.handover_to,
        originVolunteerId:
          loggedAt !== undefined &&
          withinVolunteerWindow(
            new Date(loggedAt),
            this.config.VOLUNTEER_CONTACT_WINDOW_HOURS,
            now.getTime(),
          )
            ? row.origin_volunteer_id
            : null,
      },
    };
  }
}

/**
 * Appends a timeline entry, its time as open work keeps it: the day in the clear, the exact
 * moment sealed (ExactTimes).
 */
export async function addEvent(
  em: EntityManager,
  times: ExactTimes,
  caseId: string,
  actorId: string | null,
  type: string,
  detail: Record<string, string | number | boolean | null> = {},
  at: Date = times.now(),
): Promise<void> {
  const moment = times.seal({ table: 'case_events', id: caseId, column: 'at' }, at);
  await em.query(
    `INSERT INTO case_events (case_id, actor_id, type, detail, at, at_enc) VALUES ($1, $2, $3, $4, $5, $6)`,
    [caseId, actorId, type, JSON.stringify(detail), moment.week, moment.sealed],
  );
}

/**
 * Where a page's exact time is sealed: bound to the case, tier and round (the page's key), so
 * the writer (PagingService), the readers and the sealers agree on it. A binding that does not
 * match opens to the day, silently: there is one spelling, here.
 */
export function pageTimeBinding(
  caseId: string,
  tier: number,
  round: number,
  column: 'paged_at' | 'due_at' | 'breached_at',
) {
  return { table: 'emergency_pages', id: `${caseId}:${tier}:${round}`, column };
}

/** A case's time column set to `at`: the day, and the exact moment sealed, as SQL parameters. */
export function caseMoment(
  times: ExactTimes,
  caseId: string,
  column: 'updated_at' | 'assigned_at' | 'acknowledged_at' | 'closed_at',
  at: Date,
): [Date, Buffer] {
  const { week: day, sealed } = times.seal({ table: 'cases', id: caseId, column }, at);
  return [day, sealed];
}
