import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplicationContext } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { signWebhook } from '@mayak/platform';
import {
  createTestEnvironment,
  eventually,
  keylessAuditTrail,
  runApp,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';
import { Queue } from 'bullmq';

const SECRET = 'witness-secret-for-tests';

/** A witness outside Mayak: it records what it is sent, and answers what it is told to. */
class Witness {
  received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  status = 204;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/audit-head`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * The head of the audit chain goes to a witness outside the server, so that cutting entries
 * off the end (which leaves a valid, shorter chain) is noticed: on demand and on a schedule.
 */
describe('the audit witness', () => {
  let env: TestEnvironment;
  const witness = new Witness();

  beforeAll(async () => {
    const url = await witness.start();
    env = await createTestEnvironment({
      AUDIT_WITNESS_URL: url,
      AUDIT_WITNESS_SECRET: SECRET,
      AUDIT_WITNESS_INTERVAL_MINUTES: '30',
    });
    const trail = keylessAuditTrail(env.db);
    for (let i = 0; i < 4; i++)
      await trail.record({ actorId: null, action: 'test.event', outcome: 'allow' });
  });
  afterAll(async () => {
    await env?.dispose();
    await witness.stop();
  });
  beforeEach(() => {
    witness.received = [];
    witness.status = 204;
  });

  /** The one request the witness got: signature checked, body parsed. */
  function onlyHead(): Record<string, unknown> {
    expect(witness.received).toHaveLength(1);
    const [{ headers, body }] = witness.received;
    const timestamp = String(headers['x-mayak-timestamp']);
    expect(headers['x-mayak-signature']).toBe(signWebhook(SECRET, timestamp, body));
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    return JSON.parse(body) as Record<string, unknown>;
  }

  it('verify-audit --witness sends the verified head, signed, with nothing but position, hash and time', async () => {
    const result = await runApp('cli', ['verify-audit', '--witness'], env.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = /head entry (\d+) ([0-9a-f]{64})/.exec(result.stdout);
    expect(result.stdout).toMatch(/head sent to the witness\n$/);
    const head = onlyHead();
    expect(Object.keys(head).sort()).toEqual(['entries', 'hash', 'seq', 'type', 'witnessedAt']);
    expect(head).toEqual({
      type: 'audit-head',
      entries: 4,
      seq: printed?.[1],
      hash: printed?.[2],
      witnessedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('a witness that does not accept the head makes verify-audit --witness fail', async () => {
    witness.status = 500;
    const result = await runApp('cli', ['verify-audit', '--witness'], env.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/witness answered 500/);
    expect(witness.received).toHaveLength(1);
  });

  it('--witness without a configured witness is a usage error, and sends nothing', async () => {
    const rest = { ...env.env };
    delete rest.AUDIT_WITNESS_URL;
    const result = await runApp('cli', ['verify-audit', '--witness'], rest);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--witness needs AUDIT_WITNESS_URL/);
    expect(witness.received).toHaveLength(0);
  });

  describe('the worker', () => {
    let worker: INestApplicationContext;
    beforeAll(async () => {
      worker = await startWorker(env);
    });
    afterAll(async () => {
      await worker?.close();
    });

    it('schedules the witness every AUDIT_WITNESS_INTERVAL_MINUTES, and its job sends the head', async () => {
      const queue = worker.get<Queue>(getQueueToken('maintenance'));
      await eventually('the witness schedule', async () =>
        Boolean(await queue.getJobScheduler('audit-witness')),
      );
      expect((await queue.getJobScheduler('audit-witness'))?.every).toBe(30 * 60_000);
      witness.received = [];
      await keylessAuditTrail(env.db).record({
        actorId: null,
        action: 'test.more',
        outcome: 'deny',
      });
      await queue.add('audit-witness', {});
      await eventually('the head at the witness', () =>
        Promise.resolve(witness.received.some((r) => r.body.includes('"entries":5'))),
      );
      const sent = witness.received.map((r) => JSON.parse(r.body) as { entries: number });
      expect(sent.at(-1)?.entries).toBe(5);
    });

    it('never vouches for a broken chain', async () => {
      const queue = worker.get<Queue>(getQueueToken('maintenance'));
      // A scheduled run that verified before the edit below must not land after it.
      await eventually(
        'no maintenance job in flight',
        async () => (await queue.getActiveCount()) + (await queue.getWaitingCount()) === 0,
      );
      await env.db.transaction(async (em) => {
        await em.query(`SET LOCAL session_replication_role = replica`);
        await em.query(`UPDATE audit_entries SET outcome = 'deny' WHERE seq = 2`);
      });
      witness.received = [];
      const job = await queue.add('audit-witness', {});
      // (A finished job is removed at once: 'unknown' is a completed job gone.)
      await eventually('the witness job', async () =>
        ['completed', 'failed', 'unknown'].includes(await job.getState()),
      );
      expect(witness.received).toHaveLength(0);
      const result = await runApp('cli', ['verify-audit', '--witness'], env.env);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^BROKEN at entry 2/);
      expect(witness.received).toHaveLength(0);
    });
  });
});
