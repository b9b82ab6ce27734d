import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OutboxJob } from '../queue/queue.contract';

/**
 * Writes jobs as outbox rows inside the caller's transaction: the job exists if and only if
 * the change that needs it committed.
 */
@Injectable()
export class OutboxWriter {
  async add(manager: EntityManager, jobs: readonly OutboxJob[]): Promise<void> {
    if (jobs.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive)
      throw new Error(
        'outbox rows must be written inside the transaction of the change that needs them',
      );
    const params: unknown[] = [];
    const rows = jobs.map((j) => {
      params.push(
        j.queue,
        j.name,
        JSON.stringify(j.payload),
        j.runAt ? j.runAt.toISOString() : null,
        j.key ?? null,
      );
      const n = params.length;
      return `($${n - 4}, $${n - 3}, $${n - 2}::jsonb, coalesce($${n - 1}::timestamptz, now()), $${n})`;
    });
    // A job with a key exists once: the second writer of a timer, a page or a rollup window
    // (a retried handler, the next intake in the same window) adds nothing.
    await manager.query(
      `INSERT INTO outbox (queue, job_name, payload, run_at, job_key) VALUES ${rows.join(', ')}
       ON CONFLICT (job_key) WHERE job_key IS NOT NULL DO NOTHING`,
      params,
    );
  }
}
