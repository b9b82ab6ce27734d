import http from 'node:http';
import autocannon from 'autocannon';
import { distribution, Distribution } from './percentiles';

export interface LoadSpec {
  baseUrl: string;
  method: string;
  path: string;
  connections: number;
  /** Run for this long… */
  durationSeconds?: number;
  /** …or until this many requests have been answered. */
  amount?: number;
  /** Requests per second across all connections (open loop); unset = as fast as answered. */
  overallRate?: number;
  /** Bodies sent in turn (JSON); none for GET. */
  bodies?: readonly string[];
  /** Bearer tokens used in turn, one per request (several signed-in volunteers). */
  tokens: readonly string[];
  /** Every answer with its body, when the figure needs the bodies (case ids, say). */
  onResponse?: (status: number, body: string, receivedAt: number) => void;
}

export interface LoadResult {
  sent: number;
  ok: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  durationSeconds: number;
  /** 2xx answers per second. */
  throughput: number;
  /** Response times in ms, every answer included. */
  latency: Distribution;
}

/**
 * HTTP load through autocannon: keep-alive connections, every answer's latency recorded
 * (our own samples, not autocannon's whole-millisecond histogram), every non-2xx and every
 * socket error counted.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  let turn = 0;
  const bodies = spec.bodies ?? [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections,
        // autocannon validates keys that are present, even when undefined.
        ...(spec.amount !== undefined
          ? { amount: spec.amount }
          : { duration: spec.durationSeconds ?? 10 }),
        ...(spec.overallRate !== undefined ? { overallRate: spec.overallRate } : {}),
        timeout: 10,
        requests: [
          {
            method: spec.method as autocannon.Request['method'],
            path: spec.path,
            // The builder hands each call a fresh copy: returning a new object is safe.
            setupRequest: (request) => {
              const n = turn++;
              const headers: Record<string, string> = {
                ...(request.headers as Record<string, string>),
                authorization: `Bearer ${spec.tokens[n % spec.tokens.length]}`,
              };
              if (bodies.length === 0) return { ...request, headers };
              headers['content-type'] = 'application/json';
              return { ...request, headers, body: bodies[n % bodies.length] };
            },
            onResponse: spec.onResponse
              ? (status: number, body: string) => spec.onResponse?.(status, body, Date.now())
              : undefined,
          },
        ],
      },
      (error, res) => (error ? reject(error as Error) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) =>
      latencies.push(responseTime),
    );
  });
  const statusCounts = Object.fromEntries(
    Object.entries(
      (result as unknown as { statusCodeStats?: Record<string, { count: number }> })
        .statusCodeStats ?? {},
    ).map(([code, { count }]) => [code, count]),
  );
  return {
    sent: result.requests.sent,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts,
    durationSeconds: result.duration,
    throughput: result['2xx'] / result.duration,
    latency: latencies.length
      ? distribution(latencies)
      : { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN },
  };
}

export interface OpenLoadSpec {
  baseUrl: string;
  method: string;
  path: string;
  /** Requests per second, sent on schedule whether or not earlier ones were answered. */
  rate: number;
  durationSeconds: number;
  /** Sockets to the server at most; a request finding all busy waits, and that wait counts. */
  maxSockets?: number;
  bodies?: readonly string[];
  tokens: readonly string[];
  onResponse?: (status: number, body: string, receivedAt: number) => void;
}

export interface OpenLoadResult extends LoadResult {
  /** The rate asked for. */
  rate: number;
  /** How late the generator itself sent (actual send − scheduled send), ms. */
  sendLag: Distribution;
  /** Each answer's latency (ms) by its scheduled send (ms from the start), in send order. */
  timeline: Array<{ due: number; latency: number }>;
  /**
   * Latency from the moment each request actually left (not its scheduled moment): what the
   * server and the network took, without the generator's own lateness. The figure is the
   * scheduled one; this tells the two apart when the generator shares the server's cores.
   */
  fromSend: Distribution;
}

/**
 * Open-loop HTTP load at a fixed rate (a constant-arrival-rate generator): request i is due
 * at start + i/rate and is sent then, however many earlier ones are still unanswered. Its
 * latency runs from that scheduled moment to the last byte of the answer, so a server that
 * stalls is charged for every request that should have gone out meanwhile (no coordinated
 * omission, unlike a closed loop or autocannon's paced connections, which wait for an answer
 * before sending the next). Keep-alive sockets, up to `maxSockets`; a request waiting for a
 * socket is waiting, and it counts.
 */
export async function runOpenLoad(spec: OpenLoadSpec): Promise<OpenLoadResult> {
  const total = Math.max(1, Math.round(spec.rate * spec.durationSeconds));
  const bodies = spec.bodies ?? [];
  const url = new URL(spec.path, spec.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.maxSockets ?? 200 });
  const latencies: number[] = [];
  const lags: number[] = [];
  const timeline: Array<{ due: number; latency: number }> = [];
  const fromSend: number[] = [];
  const statusCounts: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let lastAnswer = 0;
  const interval = 1000 / spec.rate;
  const send = (n: number, due: number): Promise<void> =>
    new Promise((resolve) => {
      const sentAt = performance.now();
      lags.push(sentAt - due);
      const body = bodies.length ? bodies[n % bodies.length] : undefined;
      const headers: Record<string, string | number> = {
        authorization: `Bearer ${spec.tokens[n % spec.tokens.length]}`,
      };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const request = http.request(
        url,
        { method: spec.method, headers, agent, timeout: 10_000 },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const now = performance.now();
            lastAnswer = now;
            latencies.push(now - due);
            timeline.push({ due: due - start, latency: now - due });
            fromSend.push(now - sentAt);
            const status = response.statusCode ?? 0;
            statusCounts[status] = (statusCounts[status] ?? 0) + 1;
            if (status >= 200 && status < 300) ok++;
            else non2xx++;
            spec.onResponse?.(status, Buffer.concat(chunks).toString('utf8'), Date.now());
            resolve();
          });
          response.on('error', () => {
            errors++;
            resolve();
          });
        },
      );
      request.on('timeout', () => {
        timeouts++;
        request.destroy(new Error('timeout'));
      });
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end(body);
    });

  const pending: Array<Promise<void>> = [];
  const start = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    // Every request due by now goes out now: a late timer sends the backlog, it skips none.
    while (next < total && start + next * interval <= now) {
      pending.push(send(next, start + next * interval));
      next++;
    }
    if (next < total)
      await new Promise((r) => setTimeout(r, Math.max(0, start + next * interval - now)));
  }
  await Promise.all(pending);
  agent.destroy();
  const durationSeconds = Math.max(lastAnswer - start, total * interval) / 1000;
  const none = { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  return {
    sent: total,
    ok,
    non2xx,
    errors,
    timeouts,
    statusCounts,
    durationSeconds,
    throughput: ok / durationSeconds,
    latency: latencies.length ? distribution(latencies) : none,
    rate: spec.rate,
    sendLag: lags.length ? distribution(lags) : none,
    timeline: timeline.sort((a, b) => a.due - b.due),
    fromSend: fromSend.length ? distribution(fromSend) : none,
  };
}
