import { Injectable } from '@nestjs/common';
import { StaffLoad } from '@mayak/staffing';
import { DataSource } from 'typeorm';
import { CaseLifecycleService } from './case-lifecycle.service';
import { CaseRow } from './case-facts';

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
  ) {}

  route(caseId: string): Promise<RoutingResult> {
    return this.db.transaction(async (em) => {
      // Only what routing needs, under the row lock: not the reader's facts (CaseLoader).
      const [row] = await em.query<
        Array<Pick<CaseRow, 'id' | 'service' | 'status' | 'region' | 'declined_by'>>
      >(`SELECT id, service, status, region, declined_by FROM cases WHERE id = $1 FOR UPDATE`, [
        caseId,
      ]);
      if (!row || row.status !== 'queued') return 'not_queued';
      const assignee = await this.load.pickAndReserve(em, row.service, row.region, row.declined_by);
      if (!assignee) return 'pooled';
      await this.lifecycle.assign(em, row, assignee, null, 'assigned');
      return 'assigned';
    });
  }
}
