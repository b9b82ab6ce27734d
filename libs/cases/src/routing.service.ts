import { Injectable } from '@nestjs/common';
import { StaffLoad } from '@mayak/staffing';
import {
  EnvelopeCipher,
  GroupCommit,
  OutboxLedger,
  preparedStatement,
  runPrepared,
} from '@mayak/platform';
import { DataSource } from 'typeorm';
import { CaseLifecycleService } from './case-lifecycle.service';
import { CASE_FACTS_JOIN, caseAttributes, CaseRow } from './case-facts';

export type RoutingResult = 'assigned' | 'pooled' | 'not_queued';

/** A batch's answer for a case whose only fitting colleagues other routings held. */
type BatchResult = RoutingResult | 'contended';

/** A case to route, and the BullMQ id of the job that asks for it, when a job does. */
interface RouteRequest {
  caseId: string;
  jobId?: string;
}

type RoutedRow = Pick<CaseRow, 'id' | 'service' | 'status' | 'declined_by' | 'contact_id'> & {
  /** Whether any colleague keeps a region list: else the region decides nothing. */
  region_lists: boolean;
  /** The contact's sealed facts: read only when someone keeps a region list. */
  facts_dek_wrapped: CaseRow['facts_dek_wrapped'] | null;
  facts_enc: CaseRow['facts_enc'] | null;
};

/**
 * A batch's cases, locked in id order (as every batch takes them), whether anyone keeps a
 * region list (one look at the staff for the whole batch: an uncorrelated sub-select, run
 * once per statement), and only then their sealed facts: while nobody keeps a list the region
 * decides nothing, and the facts (a wrapped key and a ciphertext, about 0.4 KiB a case, sent
 * as hex) would be encoded by PostgreSQL and decoded by the worker for nothing.
 */
const LOCK_CASES = preparedStatement(
  'routing.lock-cases',
  `SELECT c.id, c.service, c.status, c.declined_by, c.contact_id, l.region_lists,
          CASE WHEN l.region_lists THEN cf.dek_wrapped END AS facts_dek_wrapped,
          CASE WHEN l.region_lists THEN cf.facts_enc END AS facts_enc
     FROM cases c ${CASE_FACTS_JOIN},
          (SELECT EXISTS (SELECT 1 FROM staff_availability a WHERE cardinality(a.regions) > 0)
             AS region_lists) l
    WHERE c.id = ANY($1::uuid[]) ORDER BY c.id FOR UPDATE OF c`,
);

/**
 * The most cases one routing transaction takes. The worker runs twice as many routing jobs at
 * once (RoutingProcessor), so that while one batch commits the next has gathered. Batches run
 * one at a time, so in a burst the batch's round trips and commit, not the CPU, set the pace:
 * a batch of 64 costs about what one of 32 does in round trips (the statements take arrays).
 */
export const ROUTING_MAX_BATCH = 64;

/**
 * The route-case job: gives a waiting case to the on-shift member of its service with the
 * fewest open cases below capacity, matching the case's region when they keep a region
 * list, and never to someone who declined it. If no one fits, the case stays in the pool
 * for a claim. Safe to run twice: only a case still queued is touched, under its row lock.
 *
 * The jobs running at the same moment share one transaction (GroupCommit, one at a time in
 * each worker): their cases are locked and read in one statement, the colleagues who could
 * take them locked in one more and each case given its person in turn (each pick sees the
 * load the previous ones reserved: StaffLoad.reserveMany), and the reservations, the
 * assignments and the assignees' notices written in three more. A burst of routing costs the
 * database a handful of statements per batch, whatever its size, rather than six per case and
 * a commit each. A batch that fails
 * is routed again case by case, so a case that cannot be routed fails alone.
 *
 * A batch never waits for a colleague's row another routing holds (each batch holds rows of
 * its own: two waiting batches could deadlock). A case whose only fitting colleagues were all
 * held is routed again once the batch has committed, alone, waiting for them: never sent to
 * the pool while someone is free.
 */
@Injectable()
export class RoutingService {
  private readonly committer = new GroupCommit<RouteRequest, BatchResult>(
    (requests) => this.routeMany(requests, false),
    { maxBatch: ROUTING_MAX_BATCH, maxInFlight: 1, keyOf: (request) => request.caseId },
  );

  constructor(
    private readonly db: DataSource,
    private readonly load: StaffLoad,
    private readonly lifecycle: CaseLifecycleService,
    private readonly cipher: EnvelopeCipher,
  ) {}

  /**
   * With `jobId` (the route-case job's), the job's outbox row is deleted in the transaction
   * that decides the case (OutboxLedger.settle): once this resolves, the row is gone and the
   * job has nothing left to mark done (JOB_SETTLED). A case the batch leaves contended keeps
   * its row until it is routed alone: a crash in between sends the job again, and the case,
   * still queued, is routed then.
   */
  async route(caseId: string, jobId?: string): Promise<RoutingResult> {
    const result = await this.committer.submit({ caseId, jobId });
    if (result !== 'contended') return result;
    const [alone] = await this.routeMany([{ caseId, jobId }], true);
    return alone === 'contended' ? 'pooled' : alone;
  }

  /** `wait`: the transaction routes one case, and may wait for a colleague's row. */
  private routeMany(batch: readonly RouteRequest[], wait: boolean): Promise<BatchResult[]> {
    const caseIds = batch.map((r) => r.caseId);
    return this.db.transaction(async (em) => {
      // Only what routing needs, under the row locks (taken in id order, as every batch
      // takes them): not the reader's facts (CaseLoader).
      const rows = await runPrepared<RoutedRow[]>(em, LOCK_CASES, [caseIds]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      const results = new Map<string, BatchResult>();
      const queued = caseIds
        .map((caseId) => byId.get(caseId))
        .filter((row): row is RoutedRow => row?.status === 'queued');
      // The region is sealed with the contact's facts; a case whose facts do not open is
      // routed as if it had none (to someone who covers every region, or the pool). While
      // nobody keeps a region list, every colleague covers every region and the region
      // decides nothing: the facts stay sealed (a list made meanwhile is one made just after
      // this routing; an empty region fits only those who cover every region).
      const requests = queued.map((row) => ({
        service: row.service,
        region:
          row.region_lists && row.facts_dek_wrapped && row.facts_enc
            ? (caseAttributes(this.cipher, {
                contact_id: row.contact_id,
                facts_dek_wrapped: row.facts_dek_wrapped,
                facts_enc: row.facts_enc,
              }).region ?? '')
            : '',
        excluded: row.declined_by,
      }));
      // A batch picks for all its cases at once; one alone may wait for a held colleague.
      const picked = wait ? [] : await this.load.reserveMany(em, requests);
      // Whether anyone fits each case the batch could not place: one no one fits goes to the
      // pool without a pick of its own. The batch's pick says so already (null) when it
      // locked everyone who could take the case; the rest are asked in one statement.
      const fits = new Map<number, boolean>();
      const unplaced = queued.flatMap((_, i) => {
        if (picked[i] === null) fits.set(i, false);
        return picked[i] === undefined ? [i] : [];
      });
      if (!wait && unplaced.length > 0) {
        const answers = await this.load.anyFits(
          em,
          unplaced.map((i) => requests[i]),
        );
        unplaced.forEach((i, k) => fits.set(i, answers[k]));
      }
      const assignments: Array<{ row: RoutedRow; assigneeId: string }> = [];
      for (const [i, row] of queued.entries()) {
        let assignee = picked[i] ?? undefined;
        if (!assignee && fits.get(i) === false) {
          results.set(row.id, 'pooled');
          continue;
        }
        if (!assignee) {
          // None of the colleagues the batch locked can take it: ask for it alone, which says
          // whether someone who fits is held by another routing.
          const { service, region, excluded } = requests[i];
          const pick = await this.load.pickAndReserve(em, service, region, excluded, { wait });
          if (!pick.assignee) {
            results.set(row.id, pick.contended && !wait ? 'contended' : 'pooled');
            continue;
          }
          assignee = pick.assignee;
        }
        assignments.push({ row, assigneeId: assignee });
        results.set(row.id, 'assigned');
      }
      await this.lifecycle.assignMany(em, assignments, null, 'assigned');
      const answers = caseIds.map((caseId) => results.get(caseId) ?? 'not_queued');
      // Every job whose case this transaction decided ends with it; a contended one's waits.
      await OutboxLedger.settle(
        em,
        batch.flatMap((r, i) => (r.jobId && answers[i] !== 'contended' ? [r.jobId] : [])),
      );
      return answers;
    });
  }
}
