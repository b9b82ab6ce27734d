import { randomUUID } from 'node:crypto';
import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { job, OutboxWriter } from '@mayak/platform';
import {
  createTestEnvironment,
  eventually,
  OutboxReader,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';

/**
 * Every kind of case work shares the BullMQ queue 'cases', so a burst of routing must not hold
 * up an emergency's SLA check or page: emergency jobs carry no BullMQ priority, the rest do,
 * and BullMQ takes the unprioritized first.
 */
describe('the shared case queue', () => {
  let env: TestEnvironment;
  let worker: INestApplicationContext | undefined;

  beforeAll(async () => {
    // One per logical queue: the 'cases' worker takes four jobs at a time.
    env = await createTestEnvironment({ WORKER_CONCURRENCY: '1' });
    worker = await startWorker(env);
  });
  afterAll(async () => {
    await worker?.close();
    await env?.dispose();
  });

  it('takes an emergency job ahead of a burst of routing sent before it', async () => {
    const queue = worker!.get<Queue>(getQueueToken('cases'));
    await queue.pause();
    const burst = 400;
    // Routing for cases that do not exist (each a quick no-op), then one SLA check.
    await worker!
      .get(DataSource)
      .transaction((em) =>
        worker!
          .get(OutboxWriter)
          .add(em, [
            ...Array.from({ length: burst }, () =>
              job('routing', 'route-case', { caseId: randomUUID() }),
            ),
            job('emergency', 'check-ack', { caseId: randomUUID(), tier: 1, round: 1 }),
          ]),
      );
    await eventually(
      'the burst and the check to be in Redis',
      async () =>
        (await env.db.query(`SELECT 1 FROM outbox WHERE status = 'pending'`)).length === 0,
      10_000,
      20,
    );
    const outbox = OutboxReader.of(env);
    const emergencyRow = (await outbox.rows()).find((j) => j.queue === 'emergency')!;
    await queue.resume();
    let routedFirst = 0;
    await eventually(
      'the check to be done',
      async () => {
        // A finished job deletes its row: what is gone of the burst and the check has run.
        const [row]: Array<{ done: boolean; left: number }> = await env.db.query(
          `SELECT NOT EXISTS (SELECT 1 FROM outbox WHERE id = $1) AS done,
                  (SELECT count(*)::int FROM outbox WHERE queue = 'cases') AS left`,
          [emergencyRow.id],
        );
        routedFirst = burst + 1 - row.left - (row.done ? 1 : 0);
        return row.done;
      },
      10_000,
      2,
    );
    // At most the jobs already taken when it arrived, and their neighbours in flight.
    expect(routedFirst).toBeLessThan(burst / 4);
    await eventually(
      'the burst to be done',
      async () => (await env.db.query(`SELECT 1 FROM outbox WHERE status <> 'done'`)).length === 0,
      20_000,
      50,
    );
  }, 60_000);
});
