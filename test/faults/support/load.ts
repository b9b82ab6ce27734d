import { randomUUID } from 'node:crypto';
import { sleep } from './apps';
import { intakePlan } from './bodies';

/** One HTTP answer (or failure to get one), as the client saw it. */
export interface Attempt {
  what: 'intake' | 'acknowledge' | 'notifications' | 'stream';
  startedAt: number;
  endedAt: number;
  /** The HTTP status, or 0 when no answer came (refused, reset, timed out). */
  status: number;
  /** For status 0: the error's code (ECONNREFUSED, UND_ERR_SOCKET, timeout…). */
  error?: string;
  /** The first bytes of a body that was not expected, for the report. */
  detail?: string;
}

/** One call a volunteer logs, however many attempts it took. */
export interface Intake {
  key: string;
  volunteer: number;
  services: string[];
  firstSentAt: number;
  attempts: number;
  /** Every 201 for this key: a retry must get the same receipt as the first. */
  receipts: Array<{ id: string; caseIds: string[] }>;
  /** A final answer other than 201 (a 4xx or 5xx that is not retried), or 'abandoned'. */
  failure?: string;
}

export interface Volunteer {
  token: string;
}

const REQUEST_TIMEOUT_MS = 20_000;

/**
 * A request as a browser sends it, recorded. Network errors and timeouts are answers too:
 * status 0 with the error's code.
 */
export async function recordedRequest(
  log: Attempt[],
  what: Attempt['what'],
  url: string,
  init: { method: string; token: string; body?: unknown; headers?: Record<string, string> },
): Promise<{ status: number; body: unknown }> {
  const startedAt = Date.now();
  try {
    const response = await fetch(url, {
      method: init.method,
      headers: {
        authorization: `Bearer ${init.token}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const attempt: Attempt = { what, startedAt, endedAt: Date.now(), status: response.status };
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text
    }
    if (response.status >= 400 && response.status !== 503) attempt.detail = text.slice(0, 200);
    log.push(attempt);
    return { status: response.status, body };
  } catch (error) {
    log.push({ what, startedAt, endedAt: Date.now(), status: 0, error: errorCode(error) });
    return { status: 0, body: undefined };
  }
}

function errorCode(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout';
  return e?.cause?.code ?? e?.code ?? e?.cause?.name ?? e?.name ?? 'unknown';
}

/** Statuses after which the volunteer (the UI) submits again with the same key. */
const retryable = (status: number) => status === 0 || status === 503;

/**
 * Simulated volunteers at the phones: each logs a call every `intervalMs` (together the
 * suite's steady rate), waits for the answer, and when it gets none or a 503 submits the
 * same call again with the same Idempotency-Key, as the intake screen does, until it is
 * accepted. A volunteer that falls behind does not rush to catch up (a slow minute is a
 * slow minute), so the rate drops while an outage holds everyone up.
 */
export class VolunteerLoad {
  readonly attempts: Attempt[] = [];
  readonly intakes: Intake[] = [];
  private stopping = false;
  private deadline = Infinity;
  private running: Promise<void>[] = [];
  /** Where to send: a function, because the API may be replaced during a scenario. */
  constructor(
    private readonly baseUrl: () => string,
    private readonly volunteers: Volunteer[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const started = Date.now();
    this.running = this.volunteers.map((v, i) =>
      // Spread the volunteers over one interval so their calls do not arrive in lockstep.
      this.run(i, v, started + (this.intervalMs * i) / this.volunteers.length),
    );
  }

  /**
   * No new calls; calls in progress keep retrying until `finishWithinMs` has passed, then
   * count as abandoned.
   */
  async stop(finishWithinMs: number): Promise<void> {
    this.stopping = true;
    this.deadline = Date.now() + finishWithinMs;
    await Promise.all(this.running);
  }

  private async run(index: number, volunteer: Volunteer, firstAt: number): Promise<void> {
    let next = firstAt;
    while (!this.stopping) {
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      if (this.stopping) return;
      await this.submit(index, volunteer);
      next += this.intervalMs;
      if (next < Date.now()) next = Date.now();
    }
  }

  private async submit(index: number, volunteer: Volunteer): Promise<void> {
    const plan = intakePlan();
    const intake: Intake = {
      key: `faults-${randomUUID()}`,
      volunteer: index,
      services: plan.services,
      firstSentAt: Date.now(),
      attempts: 0,
      receipts: [],
    };
    this.intakes.push(intake);
    for (let backoff = 200; ; backoff = Math.min(backoff * 2, 1_000)) {
      intake.attempts += 1;
      const { status, body } = await recordedRequest(
        this.attempts,
        'intake',
        `${this.baseUrl()}/api/contacts`,
        {
          method: 'POST',
          token: volunteer.token,
          body: plan.body,
          headers: { 'idempotency-key': intake.key },
        },
      );
      if (status === 201) {
        const receipt = body as { id: string; caseIds: string[] };
        intake.receipts.push({ id: receipt.id, caseIds: receipt.caseIds });
        return;
      }
      if (!retryable(status)) {
        intake.failure = `HTTP ${status}`;
        return;
      }
      if (Date.now() + backoff > this.deadline) {
        intake.failure = 'abandoned';
        return;
      }
      await sleep(backoff);
    }
  }
}
