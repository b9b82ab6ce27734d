import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ExactTimes } from '../crypto/exact-times';
import { GroupCommit } from '../database/group-commit';
import { preparedStatement, runPrepared } from '../database/prepared-statement';
import { outboxIdOf } from '../queue/queue.contract';

const WHERE_JOB = `(id = $1::bigint OR job_key = $2)`;

/** Jobs finished: by outbox id, or by key for a job that has one. */
const MARK_DONE = preparedStatement(
  'outbox.done',
  `UPDATE outbox SET status = 'done', done_at = coalesce(sent_at, $3::timestamptz), last_error = NULL
    WHERE (id = ANY($1::bigint[]) OR job_key = ANY($2::text[])) AND status <> 'done'`,
);

/** Records what became of an outbox row once the worker has handled its job. */
@Injectable()
export class OutboxLedger {
  /** Jobs finishing at the same moment share one UPDATE (and one commit). */
  private readonly done = new GroupCommit<string, void>((jobIds) => this.writeDone(jobIds), {
    maxBatch: 500,
    maxInFlight: 1,
  });

  constructor(
    private readonly db: DataSource,
    private readonly times: ExactTimes,
  ) {}

  /**
   * `jobId` is the BullMQ job id: the row's job key (`outbox-<row id>` for a job an older
   * version sent). A job that came from no outbox row (the scheduled retention sweep) matches
   * nothing, which is fine.
   *
   * `done_at` is set to the row's `sent_at` (a day, like every outbox time), not to now: a
   * timer is done when it fires, and a row sent one day and done the next would say "timer" (an
   * SLA check: an emergency) as plainly as the sealed job name did.
   */
  markDone(jobId: string): Promise<void> {
    return this.done.submit(jobId);
  }

  /** After the last retry: the row leaves the sweeper's sight and waits for an operator. */
  async markFailed(jobId: string, errorName: string): Promise<void> {
    await this.db.query(
      `UPDATE outbox SET status = 'failed', last_error = $3 WHERE ${WHERE_JOB} AND status <> 'done'`,
      [outboxIdOf(jobId) ?? null, jobId, errorName.slice(0, 200)],
    );
  }

  private async writeDone(jobIds: readonly string[]): Promise<void[]> {
    const ids = jobIds.map((j) => outboxIdOf(j)).filter((id) => id !== undefined);
    await runPrepared(this.db, MARK_DONE, [ids, jobIds, this.times.today()]);
    return jobIds.map(() => undefined);
  }
}
