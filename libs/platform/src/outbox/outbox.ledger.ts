import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { GroupCommit } from '../database/group-commit';
import { batchArray, preparedStatement, runPrepared } from '../database/prepared-statement';
import { outboxIdOf } from '../queue/queue.contract';

const WHERE_JOB = `(id = $1::bigint OR job_key = $2)`;

/**
 * Jobs finished: their rows deleted, by outbox id or by key. A finished job's row is not kept:
 * marking it done was an UPDATE that could not be HOT (`status` is in the partial indexes'
 * predicates), a third version of the row with new entries in the primary key and the job-key
 * index, and the retention sweep deleted it an hour or two later anyway. A heap delete writes
 * no index entry. (A row an operator marked failed and whose job then ran is deleted too: done
 * wins, as it did when it was a status.)
 *
 * Nothing needs the row afterwards. A job runs at most once in effect because its handler
 * checks the state it changes before it acts (a job may run twice: sent again by the sweeper,
 * or found stalled), not because a row says done; the sweeper locks the sent rows it settles,
 * so a delete cannot land between its look at BullMQ and its decision, as a done-mark could
 * not. A key written again after its job finished (an intake committing after its statistics
 * window's rollup ran) makes a new job, which finds its work done or does the little left;
 * the retention sweep gave the same once it had deleted the row.
 */
const MARK_DONE = preparedStatement('outbox.done', outboxDone(1));

/**
 * The same delete as a fragment of a handler's own statement, its parameters from `$n`:
 * `$n` the outbox ids, `$n+1` the job ids (`OutboxLedger.doneParams`). A handler that deletes
 * its job's row in the transaction that does the job's work leaves no row to mark done: the
 * work and the row's end commit together (a crash between them can no longer send the job
 * again), and the worker saves the done-mark's statement and commit (JOB_SETTLED).
 */
export function outboxDone(n: number): string {
  return `DELETE FROM outbox WHERE id = ANY(${batchArray(n, 'bigint')}) OR job_key = ANY(${batchArray(n + 1, 'text')})`;
}

/** Records what became of an outbox row once the worker has handled its job. */
@Injectable()
export class OutboxLedger {
  /** Jobs finishing at the same moment share one DELETE (and one commit). */
  private readonly done = new GroupCommit<string, void>((jobIds) => this.writeDone(jobIds), {
    maxBatch: 500,
    maxInFlight: 1,
  });

  constructor(private readonly db: DataSource) {}

  /**
   * `jobId` is the BullMQ job id: the row's job key (`outbox-<row id>` for a job an older
   * version sent). A job that came from no outbox row (the scheduled retention sweep) matches
   * nothing, which is fine.
   *
   * The row is deleted (MARK_DONE): a finished job leaves nothing in the outbox, neither its
   * sealed job nor the day it finished.
   */
  markDone(jobId: string): Promise<void> {
    return this.done.submit(jobId);
  }

  /** After the last retry: the row leaves the sweeper's sight and waits for an operator. */
  async markFailed(jobId: string, errorName: string): Promise<void> {
    // (A row an older version marked done is left done.)
    await this.db.query(
      `UPDATE outbox SET status = 'failed', last_error = $3 WHERE ${WHERE_JOB} AND status <> 'done'`,
      [outboxIdOf(jobId) ?? null, jobId, errorName.slice(0, 200)],
    );
  }

  /**
   * Deletes these jobs' rows inside the caller's transaction (MARK_DONE on its connection): for
   * a handler whose work is written by statements of its own, with no room for `outboxDone` as
   * a fragment. The handler then answers JOB_SETTLED.
   */
  static async settle(em: EntityManager, jobIds: readonly string[]): Promise<void> {
    if (jobIds.length > 0) await runPrepared(em, MARK_DONE, OutboxLedger.doneParams(jobIds));
  }

  /** The parameters of `outboxDone(n)` for these BullMQ job ids: the outbox ids, the keys. */
  static doneParams(jobIds: readonly string[]): [string[], string[]] {
    return [jobIds.map((j) => outboxIdOf(j)).filter((id) => id !== undefined), [...jobIds]];
  }

  private async writeDone(jobIds: readonly string[]): Promise<void[]> {
    await runPrepared(this.db, MARK_DONE, OutboxLedger.doneParams(jobIds));
    return jobIds.map(() => undefined);
  }
}
