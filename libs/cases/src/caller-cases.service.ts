import { Injectable } from '@nestjs/common';
import { AccessControl, CONSENT_COVERS_SERVICE_SQL } from '@mayak/access';
import { CallerRegistry, ContactRecords } from '@mayak/contacts';
import { Actor } from '@mayak/identity';
import { AppConfig, ExactTimes, statsDayOf } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { CaseLoader, CaseRow, withExactTimes } from './case-facts';

/** One earlier case of the same caller, as its metadata: never notes, never the contact. */
export interface EarlierCase {
  id: string;
  /** The day it was opened (YYYY-MM-DD, STATS_TIMEZONE): the day, not the time. */
  openedOn: string;
  status: string;
  outcome: string | null;
  /** Whether the reader is its assignee (and may open it). */
  mine: boolean;
}

/** The most earlier cases one answer lists, newest first. */
const EARLIER_LIMIT = 50;

/**
 * "Earlier cases of this caller" on a case's page: the caller's other cases in the case's own
 * service (each case is sealed from the other services' ones), only those whose consent still
 * covers that service, as metadata. For whoever the policy lets read this case under the
 * caller's consent (`case:caller-history`), and audited.
 */
@Injectable()
export class CallerCasesService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly loader: CaseLoader,
    private readonly contacts: ContactRecords,
    private readonly callers: CallerRegistry,
    private readonly times: ExactTimes,
    private readonly config: AppConfig,
  ) {}

  async earlier(actor: Actor, caseId: string): Promise<EarlierCase[]> {
    const loaded = await this.loader.load(this.db.manager, caseId);
    const judgement = this.access.judgeCase(actor, 'case:caller-history', caseId, loaded?.facts);
    if (!judgement.allowed) await this.access.enforce(judgement); // throws: a 404
    const { row } = loaded!;
    const contact = await this.contacts.findForCase(row.contact_id);
    const contactIds = contact
      ? await this.callers.contactIdsOf(
          this.db.manager,
          (await this.contacts.attributes(contact, actor.userId)).callerId,
        )
      : undefined;
    const others = (contactIds ?? []).filter((id) => id !== row.contact_id);
    const rows: CaseRow[] = others.length
      ? await this.db.query<CaseRow[]>(
          `SELECT c.* FROM cases c
            WHERE c.contact_id = ANY($1::uuid[]) AND c.service = $2 AND c.id <> $3
              AND ${CONSENT_COVERS_SERVICE_SQL}
            ORDER BY c.created_at DESC, c.id LIMIT ${EARLIER_LIMIT}`,
          [others, row.service, caseId],
        )
      : [];
    const earlier = rows
      .map((raw) => withExactTimes(this.times, raw))
      .sort((a, b) => b.created_at.getTime() - a.created_at.getTime())
      .map((c) => ({
        id: c.id,
        openedOn: statsDayOf(c.created_at, this.config.STATS_TIMEZONE),
        status: c.status,
        outcome: c.outcome,
        mine: c.assignee_id === actor.userId,
      }));
    // Allowed, recorded without the number of rows: beside the case's pseudonym it would say
    // how many cases the caller had, which nothing at rest may (CallerLinks).
    await this.access.enforce(judgement);
    return earlier;
  }
}
