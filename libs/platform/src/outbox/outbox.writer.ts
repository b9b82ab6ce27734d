import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ExactTimes } from '../crypto/exact-times';
import { preparedStatement, runPrepared } from '../database/prepared-statement';
import { OutboxJob } from '../queue/queue.contract';
import { OutboxSeal } from './outbox-seal';

/** Rows in their order, one array per column: one text whatever their number. */
const ADD_ROWS = preparedStatement('outbox.add', outboxInsert(1));

/**
 * The INSERT of outbox rows whose four parameters (OutboxWriter.paramsOf) are $first to
 * $first+3: alone, or in the one statement that writes the change needing them; `after`, a
 * CTE of that statement with a boolean column `ok`, is read first (and no row written unless
 * it is true).
 */
export function outboxInsert(first: number, after?: string): string {
  return insertRows(first, after ? { from: `, ${after}`, where: `${after}.ok` } : {});
}

/**
 * The same INSERT for jobs each of which hangs on a row written by another part of the same
 * statement: $first+4 holds that row's id for each job (OutboxWriter.paramsFor), `written` is
 * the part (a CTE returning `id`), and a job is written only when its row was, and `where`
 * (a condition on that row, named \`w\`) holds: a webhook delivery only for a notification
 * created, not one already there, to a person who has a webhook.
 */
export function outboxInsertFor(first: number, written: string, where = 'true'): string {
  return insertRows(first, { owner: true, from: ` JOIN ${written} w ON w.id = r.owner`, where });
}

/**
 * The one text both write outbox rows with: their times the day ($first), their queue, sealed
 * content and key from $first+1 to $first+3 (and the row each hangs on, `owner`, from
 * $first+4), read beside `from`, kept where `where` holds; a key already there adds nothing.
 */
function insertRows(
  first: number,
  { owner = false, from = '', where }: { owner?: boolean; from?: string; where?: string },
): string {
  const p = (n: number) => `$${first + n}`;
  return `INSERT INTO outbox (queue, sealed, job_key, created_at, run_at)
   SELECT r.queue, r.sealed, r.job_key, ${p(0)}::timestamptz, ${p(0)}::timestamptz
     FROM unnest(${p(1)}::text[], ${p(2)}::bytea[], ${p(3)}::text[]${owner ? `, ${p(4)}::uuid[]` : ''})
            AS r (queue, sealed, job_key${owner ? ', owner' : ''})${from}${where ? ` WHERE ${where}` : ''}
   ON CONFLICT (job_key) WHERE job_key IS NOT NULL DO NOTHING`;
}

/**
 * Writes jobs as outbox rows inside the caller's transaction: the job exists if and only if
 * the change that needs it committed.
 *
 * A row shows its physical queue, its pseudonymous key and its sealed content. Its times hold
 * the day only (midnight in STATS_TIMEZONE): `created_at` and `run_at` the day it was written,
 * whether it is a timer or not (the relay reads a timer's due time from the sealed content),
 * `sent_at` and `done_at` the day it was sent. An exact time here is the call's time: an
 * emergency's page and timer rows, written a minute after the call and left in the table at a
 * seizure, were joined to the telephone records by it (risk flag and outcome, seizure.md).
 */
@Injectable()
export class OutboxWriter {
  constructor(
    private readonly seal: OutboxSeal,
    private readonly times: ExactTimes,
  ) {}

  async add(manager: EntityManager, jobs: readonly OutboxJob[]): Promise<void> {
    if (jobs.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive)
      throw new Error(
        'outbox rows must be written inside the transaction of the change that needs them',
      );
    // A job with a key exists once: the second writer of a timer, a page or a rollup window
    // (a retried handler, the next intake in the same window) writes the same pseudonymous key
    // and adds nothing. A job without one has a random key, which never meets another.
    await runPrepared(manager, ADD_ROWS, this.paramsOf(jobs));
  }

  /**
   * The jobs sealed, as outboxInsert takes them: for a statement that writes them with the
   * change that needs them (one statement is one transaction, so the rule above holds).
   */
  paramsOf(jobs: readonly OutboxJob[]): unknown[] {
    const sealed = jobs.map((j) => this.seal.seal(j));
    return [
      this.times.today(),
      sealed.map((s) => s.physicalQueue),
      sealed.map((s) => s.sealed),
      sealed.map((s) => s.jobKey),
    ];
  }

  /** Jobs as outboxInsertFor takes them: each with the id of the row it hangs on. */
  paramsFor(jobs: readonly OutboxJob[], owners: readonly string[]): unknown[] {
    if (owners.length !== jobs.length) throw new Error('one owner for each job');
    return [...this.paramsOf(jobs), owners];
  }
}
