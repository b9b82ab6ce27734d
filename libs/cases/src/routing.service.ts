import { Injectable } from '@nestjs/common';
import { StaffLoad } from '@mayak/staffing';
import { EnvelopeCipher } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { CaseLifecycleService } from './case-lifecycle.service';
import { CASE_FACTS_COLUMNS, CASE_FACTS_JOIN, caseAttributes, CaseRow } from './case-facts';

export type RoutingResult = 'assigned' | 'pooled' | 'not_queued';

/**
 * The route-case job: gives a waiting case to the on-shift member of its service with the
 * fewest open cases below capacity, matching the case's region when they keep a region
 * list, and never to someone who declined it. If no one fits, the case stays in the pool
 * for a claim. Safe to run twice: only a case still queued is touched, under its row lock.
 */
@Injectable()
export class RoutingService {
  constructor(
    private readonly db: DataSource,
    private readonly load: StaffLoad,
    private readonly lifecycle: CaseLifecycleService,
    private readonly cipher: EnvelopeCipher,
  ) {}

  route(caseId: string): Promise<RoutingResult> {
    return this.db.transaction(async (em) => {
      // Only what routing needs, under the row lock: not the reader's facts (CaseLoader).
      const [row] = await em.query<
        Array<
          Pick<
            CaseRow,
            | 'id'
            | 'service'
            | 'status'
            | 'declined_by'
            | 'contact_id'
            | 'facts_dek_wrapped'
            | 'facts_enc'
          >
        >
      >(
        `SELECT c.id, c.service, c.status, c.declined_by, c.contact_id, ${CASE_FACTS_COLUMNS}
           FROM cases c ${CASE_FACTS_JOIN} WHERE c.id = $1 FOR UPDATE OF c`,
        [caseId],
      );
      if (!row || row.status !== 'queued') return 'not_queued';
      // The region is sealed with the contact's facts; a case whose facts do not open is
      // routed as if it had none (to someone who covers every region, or the pool).
      const region = caseAttributes(this.cipher, row).region ?? '';
      const assignee = await this.load.pickAndReserve(em, row.service, region, row.declined_by);
      if (!assignee) return 'pooled';
      await this.lifecycle.assign(em, row, assignee, null, 'assigned');
      return 'assigned';
    });
  }
}
