import { Injectable } from '@nestjs/common';
import {
  AccessControl,
  AccessError,
  AccessException,
  CASE_FIELDS,
  CaseAction,
  caseScopeSql,
  CaseStatus,
  CaseView,
  couldEverAllow,
  Service,
} from '@mayak/access';
import { AuditTrail } from '@mayak/audit';
import { Actor } from '@mayak/identity';
import { Clock, EnvelopeCipher, ExactTimes } from '@mayak/platform';
import { DataSource } from 'typeorm';
import {
  CASE_FACTS_COLUMNS,
  CASE_FACTS_JOIN,
  caseAttributes,
  CaseAttributes,
  CaseRow,
  withExactTimes,
} from './case-facts';
import { caseRecord, pick } from './case-queries.service';

/** Whose cases: `mine` (a lawyer's, psychologist's or responder's own), `board` (coordinators, metadata). */
export type CaseSearchScope = 'mine' | 'board';
export type CaseSortField = 'opened' | 'due' | 'priority';
export type SortOrder = 'asc' | 'desc';

export interface CaseSearchQuery {
  scope: CaseSearchScope;
  service?: Service;
  status?: CaseStatus;
  region?: string;
  topic?: string;
  /** Opened at or after / before (exclusive). */
  openedFrom?: Date;
  openedTo?: Date;
  /** Due at or after / before (exclusive). */
  dueFrom?: Date;
  dueTo?: Date;
  /** Only open cases past their due time. */
  overdue?: boolean;
  sort: CaseSortField;
  order: SortOrder;
  limit: number;
  offset: number;
}

export interface CaseSearchPage {
  items: Array<Record<string, unknown>>;
  /** How many cases match, over every page. */
  total: number;
  limit: number;
  offset: number;
  /**
   * The search looked at the newest SEARCH_CAP cases in scope and no further: older ones may
   * match too (narrow the dates to reach them).
   */
  truncated: boolean;
}

const SCOPE: Record<CaseSearchScope, { action: CaseAction; view: CaseView }> = {
  mine: { action: 'case:list-mine', view: 'mine' },
  board: { action: 'case:list-board', view: 'metadata' },
};

/** The most cases in scope one search weighs, newest first. */
export const SEARCH_CAP = 2000;

const at = (value: unknown): number => (value instanceof Date ? value.getTime() : NaN);

interface Found {
  row: CaseRow;
  attributes: CaseAttributes;
}

/**
 * Searching one's cases (or, for coordinators, the case metadata of all of them): the scope
 * is the policy's own list scope, in the query's WHERE; so are the filters the clear can
 * answer (service, status, the week of the dates, a superset). Region and topics are sealed
 * with the contact's facts and the exact times beside their weeks, so those filters, the
 * order and the page are applied once they are open, to the rows the scope allowed. A filter
 * on a field the reader's view does not show is refused: a coordinator filtering by topic
 * would learn the topic.
 */
@Injectable()
export class CaseSearchService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly cipher: EnvelopeCipher,
    private readonly times: ExactTimes,
    private readonly clock: Clock,
  ) {}

  async search(actor: Actor, query: CaseSearchQuery): Promise<CaseSearchPage> {
    const { action, view } = SCOPE[query.scope];
    if (!couldEverAllow(actor, action)) {
      await this.audit.record({ actorId: actor.userId, action, outcome: 'deny', reason: 'role' });
      throw new AccessException(AccessError.Forbidden);
    }
    const fields = CASE_FIELDS[view];
    const hidden = [
      ['region', query.region],
      ['topics', query.topic],
    ].find(([field, value]) => value !== undefined && !fields.includes(field!));
    if (hidden) {
      await this.audit.record({
        actorId: actor.userId,
        action,
        outcome: 'deny',
        reason: `filter:${hidden[0]}`,
      });
      throw new AccessException(AccessError.Forbidden);
    }

    const scope = caseScopeSql(actor, action);
    const params = [...scope.params];
    const where = [scope.sql];
    const p = (value: unknown) => `$${params.push(value)}`;
    if (query.service) where.push(`c.service = ${p(query.service)}`);
    if (query.status) where.push(`c.status = ${p(query.status)}`);
    if (query.overdue) where.push(`c.status <> 'closed'`);
    // The clear holds each time's week (its Monday), never later than the time itself: a week
    // before `to` may hold a match, one after it cannot; and a time on or after `from` is in a
    // week that starts at most seven days before it.
    if (query.openedTo) where.push(`c.created_at < ${p(query.openedTo)}`);
    if (query.openedFrom)
      where.push(`c.created_at > ${p(query.openedFrom)}::timestamptz - interval '7 days'`);
    if (query.dueTo) where.push(`c.due_at < ${p(query.dueTo)}`);
    const rows: CaseRow[] = await this.db.query<CaseRow[]>(
      `SELECT c.*, ${CASE_FACTS_COLUMNS} FROM cases c ${CASE_FACTS_JOIN}
        WHERE ${where.join(' AND ')} ORDER BY c.created_at DESC, c.id LIMIT ${SEARCH_CAP}`,
      params,
    );
    const now = this.clock.now().getTime();
    const opens = query.region !== undefined || query.topic !== undefined || shows(fields);
    const none: CaseAttributes = { region: null, ageBand: null, topics: null };
    const found: Found[] = rows
      .map((raw) => {
        const row = withExactTimes(this.times, raw);
        return { row, attributes: opens ? caseAttributes(this.cipher, row) : none };
      })
      .filter(({ row, attributes }) => {
        if (query.region !== undefined && attributes.region !== query.region) return false;
        if (query.topic !== undefined && !(attributes.topics ?? []).includes(query.topic))
          return false;
        if (query.openedFrom && !(at(row.created_at) >= query.openedFrom.getTime())) return false;
        if (query.openedTo && !(at(row.created_at) < query.openedTo.getTime())) return false;
        if (query.dueFrom && !(at(row.due_at) >= query.dueFrom.getTime())) return false;
        if (query.dueTo && !(at(row.due_at) < query.dueTo.getTime())) return false;
        if (query.overdue && !(row.status !== 'closed' && at(row.due_at) < now)) return false;
        return true;
      })
      .sort(order(query.sort, query.order));
    const page = found.slice(query.offset, query.offset + query.limit);
    await this.access.recordList(actor, action, page.length);
    return {
      items: page.map(({ row, attributes }) => pick(caseRecord(row, attributes), view)),
      total: found.length,
      limit: query.limit,
      offset: query.offset,
      truncated: rows.length === SEARCH_CAP,
    };
  }
}

/** Whether a view shows any of the contact's sealed facts (else they stay closed). */
const shows = (fields: readonly string[]) =>
  ['region', 'ageBand', 'topics'].some((f) => fields.includes(f));

function order(field: CaseSortField, direction: SortOrder): (a: Found, b: Found) => number {
  const key = (f: Found): number =>
    field === 'opened'
      ? at(f.row.created_at)
      : field === 'due'
        ? at(f.row.due_at)
        : f.row.priority * 1e15 + at(f.row.created_at);
  const sign = direction === 'asc' ? 1 : -1;
  return (a, b) => sign * (key(a) - key(b)) || (a.row.id < b.row.id ? -1 : 1);
}
