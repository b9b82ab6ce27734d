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
