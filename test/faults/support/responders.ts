import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { sleep } from './apps';
import { Attempt, recordedRequest } from './load';

export interface OnCall {
  userId: string;
  token: string;
  /** 1 and 2: responders; 3: the coordinator on duty. */
  tier: 1 | 2 | 3;
  /** Responders bridge pages to a messenger; coordinators (who may not) watch the browser. */
  webhookSecret?: string;
}

interface PageNotice {
  id: string;
  type: string;
  caseId: string;
}

/**
 * The tier at which a case is acknowledged, chosen from its id so that about six in ten
 * emergencies are taken at tier 1, three at tier 2 after one SLA breach, and one at tier 3
 * after two: every path of the climb runs under load.
 */
export function acknowledgingTier(caseId: string): 1 | 2 | 3 {
  const n = parseInt(caseId.slice(-2), 16) % 10;
  return n < 6 ? 1 : n < 9 ? 2 : 3;
}

/**
 * The on-call people. Responders are reached the way a helpline bridges pages to its
 * messenger: each has a webhook pointing here, and every delivery is checked (signature) and
 * counted per notification. The coordinator on duty, who may not have a webhook, keeps
 * Mayak open in a browser, which is imitated exactly: one server-sent-event stream, reopened
 * when it drops, and the notification list reloaded on every (re)opening. The paged person
 * acknowledges a little later over the API when it is their turn, retrying as the board does
 * when the API answers 503 or not at all.
 */
export class RespondersDesk {
  private server?: Server;
  private people = new Map<string, OnCall>();
  private baseUrl: () => string = () => '';
  private attempts: Attempt[] = [];
  private acknowledging = new Set<string>();
  private pending = new Set<Promise<void>>();
  private deadline = Infinity;
  private watching?: AbortController;
  private watchers: Promise<void>[] = [];
  /** Webhook deliveries received per notification id. */
  deliveries = new Map<string, number>();
  /** How long each webhook took to answer, from its request's arrival (ms). */
  private answers: number[] = [];
  /** Notifications the browser-watching people have seen (live, or on a reload). */
  seen = new Set<string>();
  badSignatures = 0;

  async listen(): Promise<number> {
    this.server = createServer((req, res) => {
      const arrived = performance.now();
      res.on('finish', () => this.answers.push(performance.now() - arrived));
      void this.receive(req).then(
        (status) => res.writeHead(status).end(),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** The pth percentile of the webhooks' answer times this scenario (ms, whole). */
  answerMs(p: number): number {
    if (this.answers.length === 0) return 0;
    const sorted = [...this.answers].sort((a, b) => a - b);
    return Math.round(
      sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)],
    );
  }

  /** Starts a scenario: who is on call, where the API is, where answers are recorded. */
  begin(people: OnCall[], baseUrl: () => string, attempts: Attempt[]): void {
    this.people = new Map(people.map((p) => [p.userId, p]));
    this.baseUrl = baseUrl;
    this.attempts = attempts;
    this.acknowledging.clear();
    this.deliveries = new Map();
    this.answers = [];
    this.seen = new Set();
    this.badSignatures = 0;
    this.deadline = Infinity;
    this.watching = new AbortController();
    const signal = this.watching.signal;
    this.watchers = people.filter((p) => !p.webhookSecret).map((p) => this.watch(p, signal));
  }

  /** Acknowledgements under way get until then to get through. */
  async finish(withinMs: number): Promise<void> {
    this.deadline = Date.now() + withinMs;
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async end(): Promise<void> {
    this.watching?.abort();
    await Promise.all(this.watchers);
    this.watchers = [];
    this.people = new Map();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private async receive(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const person = this.people.get(/^\/hook\/([0-9a-f-]+)$/.exec(req.url ?? '')?.[1] ?? '');
    // A delivery from an earlier scenario's workers, or to nobody we know: accept, ignore.
    if (!person?.webhookSecret) return 204;
    const timestamp = String(req.headers['x-mayak-timestamp'] ?? '');
    const expected = Buffer.from(
      `v1=${createHmac('sha256', person.webhookSecret).update(`${timestamp}.${raw}`).digest('hex')}`,
    );
    const given = Buffer.from(String(req.headers['x-mayak-signature'] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.badSignatures += 1;
      return 401;
    }
    const body = JSON.parse(raw) as PageNotice;
    this.deliveries.set(body.id, (this.deliveries.get(body.id) ?? 0) + 1);
    this.onNotice(person, body);
    return 200;
  }

  private onNotice(person: OnCall, notice: PageNotice): void {
    if (notice.type === 'emergency_page' && person.tier >= acknowledgingTier(notice.caseId))
      this.acknowledge(person, notice.caseId);
  }

  /** What the web UI's notifications provider does, for one signed-in person. */
  private async watch(person: OnCall, signal: AbortSignal): Promise<void> {
    const see = (notice: PageNotice) => {
      if (this.seen.has(notice.id)) return;
      this.seen.add(notice.id);
      this.onNotice(person, notice);
    };
    const reload = async () => {
      const { status, body } = await recordedRequest(
        this.attempts,
        'notifications',
        `${this.baseUrl()}/api/notifications`,
        { method: 'GET', token: person.token },
      );
      if (status === 200) (body as PageNotice[]).forEach(see);
    };
    for (let failures = 0; !signal.aborted;) {
      const startedAt = Date.now();
      try {
        const response = await fetch(`${this.baseUrl()}/api/notifications/stream`, {
          headers: { authorization: `Bearer ${person.token}`, accept: 'text/event-stream' },
          signal,
        });
        if (response.status !== 200 || !response.body) {
          this.attempts.push({
            what: 'stream',
            startedAt,
            endedAt: Date.now(),
            status: response.status,
            detail: (await response.text()).slice(0, 200),
          });
          throw new Error(`stream answered ${response.status}`);
        }
        failures = 0;
        await reload();
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields = new Map(
              block.split('\n').map((line) => {
                const at = line.indexOf(':');
                return [line.slice(0, at), line.slice(at + 1).replace(/^ /, '')] as const;
              }),
            );
            if (fields.get('event') === 'notification')
              see(JSON.parse(fields.get('data') ?? '{}') as PageNotice);
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof Error && error.message.startsWith('stream answered')))
          this.attempts.push({
            what: 'stream',
            startedAt,
            endedAt: Date.now(),
            status: 0,
            error: String((error as { cause?: { code?: string } }).cause?.code ?? error),
          });
        failures += 1;
        // Like the browser: the list still reloads while the stream is down.
        await reload();
      }
      // The browser's pause before reopening: short, growing while the server stays away.
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(failures, 5)));
    }
  }

  /** One acknowledgement at a time per case; a person reads the page before answering it. */
  private acknowledge(person: OnCall, caseId: string): void {
    if (this.acknowledging.has(caseId)) return;
    this.acknowledging.add(caseId);
    const attempt = async () => {
      await sleep(300);
      for (let backoff = 200; ; backoff = Math.min(backoff * 2, 1_000)) {
        const { status } = await recordedRequest(
          this.attempts,
          'acknowledge',
          `${this.baseUrl()}/api/cases/${caseId}/acknowledge`,
          { method: 'POST', token: person.token },
        );
        // 200: taken; 409: someone else took it first. Anything else is in the record.
        if (status !== 0 && status !== 503) return;
        if (Date.now() + backoff > this.deadline) return;
        await sleep(backoff);
      }
    };
    const run = attempt().finally(() => {
      this.pending.delete(run);
      this.acknowledging.delete(caseId);
    });
    this.pending.add(run);
  }
}
