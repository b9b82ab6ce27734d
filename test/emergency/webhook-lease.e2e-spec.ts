import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplicationContext } from '@nestjs/common';
import { NotificationsService, WebhookDeliveryError, WebhooksService } from '@mayak/notifications';
import {
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/**
 * A webhook is sent by one delivery at a time: two runs of one job (a job thought stalled and
 * run again, or two workers) must not both send it, and a delivery that failed, or whose
 * worker died mid-send, must still be sent again (at least once). Against a real receiver that
 * counts what it gets, with the deliveries run by two processes at once.
 */
describe('webhook deliveries, one in flight at a time', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let responder: TestUser;
  let receiver: Server;
  /** Requests the receiver got, by delivery (notification) id. */
  const received = new Map<string, number>();
  /** How the receiver answers next: after how long, with what status. */
  let answer = { afterMs: 0, status: 200 };

  beforeAll(async () => {
    env = await createTestEnvironment({ PUBLIC_URL: 'https://mayak.example.org' });
    // No job runs the deliveries here (notifications are written directly, queueing nothing):
    // the test runs them, in the API's process and the worker's.
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    receiver = createServer((req, res) => {
      const id = String(req.headers['x-mayak-delivery']);
      received.set(id, (received.get(id) ?? 0) + 1);
      const { afterMs, status } = answer;
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(status).end(), afterMs));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    responder = await createUser(api.app, ['responder']);
    const token = await signIn(http, responder);
    const set = await http.put(
      '/api/staff/me/webhook',
      { url, secret: 'a-long-shared-secret-lease' },
      { token },
    );
    expect(set.status).toBe(200);
  });
  afterAll(async () => {
    receiver?.close();
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  async function notification(): Promise<string> {
    const [created] = await api.app
      .get(NotificationsService)
      .create(env.db.manager, [
        { userId: responder.id, type: 'emergency_page', dedupeKey: `lease-${Math.random()}` },
      ]);
    return created.id;
  }

  const deliveries = () => [api.app.get(WebhooksService), worker.get(WebhooksService)];

  async function row(id: string) {
    const [stored]: Array<{ attempts: number; delivered: boolean; leased: boolean }> =
      await env.db.query(
        `SELECT attempts, delivered_at IS NOT NULL AS delivered, lease_until IS NOT NULL AS leased
           FROM webhook_deliveries WHERE notification_id = $1`,
        [id],
      );
    return stored;
  }

  it('two deliveries of one notification at once, in two processes: the receiver gets one', async () => {
    answer = { afterMs: 400, status: 200 };
    for (let round = 0; round < 3; round++) {
      const id = await notification();
      const outcomes = await Promise.allSettled(deliveries().map((w) => w.deliver(id)));
      expect(received.get(id)).toBe(1);
      const fulfilled = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(fulfilled).toEqual(['delivered']);
      // The other saw the lease and throws, so that its job retries should the sender fail.
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(WebhookDeliveryError);
      expect((refused[0] as WebhookDeliveryError).status).toBe('in_flight');
      // That retry finds it delivered, and sends nothing.
      expect(await deliveries()[1].deliver(id)).toBe('already_delivered');
      expect(received.get(id)).toBe(1);
      // Recorded once; the lease is gone with the send, no exact time left on the row.
      expect(await row(id)).toEqual({ attempts: 1, delivered: true, leased: false });
    }
  });

  it('a receiver that failed is sent again at once: the failed attempt released its lease', async () => {
    const id = await notification();
    answer = { afterMs: 0, status: 503 };
    await expect(deliveries()[0].deliver(id)).rejects.toMatchObject({ status: 503 });
    expect(await row(id)).toEqual({ attempts: 1, delivered: false, leased: false });
    answer = { afterMs: 0, status: 200 };
    expect(await deliveries()[1].deliver(id)).toBe('delivered');
    expect(received.get(id)).toBe(2);
    expect(await row(id)).toEqual({ attempts: 2, delivered: true, leased: false });
  });

  it('a lease whose holder died holds back retries until it runs out, then one goes', async () => {
    answer = { afterMs: 300, status: 200 };
    const id = await notification();
    // As a worker killed mid-send leaves it: leased, nothing recorded.
    await env.db.query(
      `INSERT INTO webhook_deliveries (notification_id, attempts, lease_until)
       VALUES ($1, 0, now() + interval '1 hour')`,
      [id],
    );
    await expect(deliveries()[0].deliver(id)).rejects.toMatchObject({ status: 'in_flight' });
    expect(received.get(id)).toBeUndefined();
    await env.db.query(
      `UPDATE webhook_deliveries SET lease_until = now() - interval '1 second' WHERE notification_id = $1`,
      [id],
    );
    const outcomes = await Promise.allSettled(deliveries().map((w) => w.deliver(id)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(received.get(id)).toBe(1);
    expect(await row(id)).toEqual({ attempts: 1, delivered: true, leased: false });
  });
});
