import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ExactTimes } from '../crypto/exact-times';
import { preparedStatement, runPrepared } from '../database/prepared-statement';
import { OutboxJob } from '../queue/queue.contract';
import { OutboxSeal } from './outbox-seal';

/** Rows in their order, one array per column: one text whatever their number. */
const ADD_ROWS = preparedStatement(
  'outbox.add',
  `INSERT INTO outbox (queue, sealed, job_key, created_at, run_at)
   SELECT queue, sealed, job_key, $1::timestamptz, $1::timestamptz
     FROM unnest($2::text[], $3::bytea[], $4::text[]) AS r (queue, sealed, job_key)
   ON CONFLICT (job_key) WHERE job_key IS NOT NULL DO NOTHING`,
);

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
    const sealed = jobs.map((j) => this.seal.seal(j));
    // A job with a key exists once: the second writer of a timer, a page or a rollup window
    // (a retried handler, the next intake in the same window) writes the same pseudonymous key
    // and adds nothing. A job without one has a random key, which never meets another.
    await runPrepared(manager, ADD_ROWS, [
      this.times.today(),
      sealed.map((s) => s.physicalQueue),
      sealed.map((s) => s.sealed),
      sealed.map((s) => s.jobKey),
    ]);
  }
}
