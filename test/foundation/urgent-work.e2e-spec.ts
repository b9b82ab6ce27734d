import { INestApplicationContext } from '@nestjs/common';
import { PagingService } from '@mayak/emergency';
import {
  BACKGROUND_START_WAIT_MS,
  job,
  OutboxJob,
  OutboxWriter,
  UrgentWork,
} from '@mayak/platform';
import { RetentionService } from '@mayak/retention';
import { createTestEnvironment, eventually, startWorker, TestEnvironment } from '@mayak/testing';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';

/**
 * In the worker, emergency jobs are urgent work and maintenance jobs (the statistics rollup
 * among them) wait for it before they start: a rollup beside a surge of SLA timers made them
 * late (bench/README.md, "A rollup beside the timers").
 */
describe('the worker lets emergency work go before maintenance', () => {
  let env: TestEnvironment;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    env = await createTestEnvironment();
    worker = await startWorker(env);
  });
  afterAll(async () => {
    await worker?.close();
    await env?.dispose();
  });
  afterEach(() => jest.restoreAllMocks());

  /** When each retention sweep (a maintenance job) starts; the sweep itself still runs. */
  const sweepStarts = (): number[] => {
    const retention = worker.get(RetentionService);
    const sweep = retention.sweep.bind(retention);
    const started: number[] = [];
    jest.spyOn(retention, 'sweep').mockImplementation(async () => {
      started.push(Date.now());
      return sweep();
    });
    return started;
  };

  const enqueue = (outboxJob: OutboxJob) =>
    worker.get(DataSource).transaction((em) => worker.get(OutboxWriter).add(em, [outboxJob]));

  it('an emergency job runs as urgent work', async () => {
    const urgent = worker.get(UrgentWork);
    const paging = worker.get(PagingService);
    const checkAck = paging.checkAck.bind(paging);
    const seen: boolean[] = [];
    jest.spyOn(paging, 'checkAck').mockImplementation((...args) => {
      seen.push(urgent.busy);
      return checkAck(...args);
    });
    // A timer for a case that does not exist: nothing to breach, and its row is settled.
    const caseId = randomUUID();
    await enqueue(
      job('emergency', 'check-ack', { caseId, tier: 1, round: 1 }, undefined, `t-${caseId}`),
    );
    await eventually('the check-ack to run', async () => seen.length > 0, 5_000);
    expect(seen).toEqual([true]);
  });

  it('a maintenance job waits while emergency work runs, and starts once it is quiet', async () => {
    const urgent = worker.get(UrgentWork);
    const started = sweepStarts();
    // Emergency work that lasts 1.5 s (a surge), urgent from before the job arrives.
    let endedAt = 0;
    const surge = urgent.track(async () => {
      await sleep(1_500);
      endedAt = Date.now();
    });
    await enqueue(job('maintenance', 'retention-sweep', {}));
    await sleep(1_000);
    // Relayed and taken within the second (outbox.e2e-spec.ts), but not started.
    expect(started).toEqual([]);
    await surge;
    await eventually('the sweep to start', async () => started.length > 0, 3_000);
    expect(started[0]).toBeGreaterThanOrEqual(endedAt);
    expect(started[0] - endedAt).toBeLessThan(1_000);
  });

  it('a maintenance job waits no longer than BACKGROUND_START_WAIT_MS, however long the surge', async () => {
    const urgent = worker.get(UrgentWork);
    const started = sweepStarts();
    let stop!: () => void;
    const endless = urgent.track(() => new Promise<void>((resolve) => (stop = resolve)));
    const enqueuedAt = Date.now();
    await enqueue(job('maintenance', 'retention-sweep', {}));
    try {
      await eventually(
        'the sweep to start while the surge goes on',
        async () => started.length > 0,
        BACKGROUND_START_WAIT_MS + 3_000,
      );
      expect(urgent.busy).toBe(true);
      expect(started[0] - enqueuedAt).toBeGreaterThanOrEqual(BACKGROUND_START_WAIT_MS - 100);
    } finally {
      stop();
      await endless;
    }
  }, 20_000);
});
