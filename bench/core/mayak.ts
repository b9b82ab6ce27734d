import { JOB_NAMES } from '@mayak/platform';
import { BenchAccount, inBatches } from './accounts';
import { RunningStack } from './stack';

/**
 * Checks for the parts of Mayak a figure needs. Each returns why the figure cannot run yet
 * (undefined when it can), phrased for "not available yet: …".
 */

export const INTAKE = { method: 'POST', path: '/api/contacts' } as const;

/** Posts a few real bodies: 404 means the route has not landed; another refusal is a bench bug. */
export async function intakeMissing(
  stack: RunningStack,
  token: string,
  bodies: readonly string[],
): Promise<string | undefined> {
  for (const body of bodies.slice(0, 3)) {
    const response = await stack.http.call(
      INTAKE.method,
      INTAKE.path,
      JSON.parse(body) as unknown,
      token,
    );
    if (response.status === 404) return `${INTAKE.method} ${INTAKE.path} answers 404`;
    if (response.status !== 201)
      throw new Error(
        `${INTAKE.method} ${INTAKE.path} refused the bench's body with ${response.status}: ${response.text.slice(0, 300)} (bench/core/contact-body.ts must match the intake DTO)`,
      );
  }
  return undefined;
}

export function routingJobMissing(): string | undefined {
  const routing = (JOB_NAMES as Record<string, Record<string, true>>).routing;
  return routing?.['route-case'] ? undefined : 'the queue contract has no routing/route-case job';
}

export async function casesTableMissing(stack: RunningStack): Promise<string | undefined> {
  const { rows } = await stack.db.query<{ columns: string[] | null }>(
    `SELECT array_agg(column_name::text) AS columns FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'cases'`,
  );
  const columns = rows[0]?.columns ?? [];
  const missing = ['id', 'status', 'assigned_at', 'created_at'].filter((c) => !columns.includes(c));
  if (columns.length === 0) return 'there is no cases table';
  return missing.length ? `the cases table has no ${missing.join(', ')}` : undefined;
}

/** Puts lawyers on shift with room for `capacity` cases each; a 404 means the route is missing. */
export async function staffOnShift(
  stack: RunningStack,
  lawyers: readonly BenchAccount[],
  capacity: number,
): Promise<string | undefined> {
  const answers = await inBatches(lawyers, 2, async (lawyer) => {
    const token = await stack.signIn(lawyer);
    return stack.http.call(
      'PUT',
      '/api/staff/me/availability',
      { onShift: true, capacity, regions: [] },
      token,
    );
  });
  const first = answers.find((a) => a.status < 200 || a.status > 299);
  if (!first) return undefined;
  if (first.status === 404) return 'PUT /api/staff/me/availability answers 404';
  throw new Error(
    `PUT /api/staff/me/availability refused capacity ${capacity} with ${first.status}: ${first.text.slice(0, 300)}`,
  );
}

/** Case ids from a 201 of the intake route. */
export function caseIdsOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { caseIds?: unknown };
    return Array.isArray(parsed.caseIds) ? parsed.caseIds.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * "cases 699, maintenance 876": the outbox rows not yet done, by physical queue (what each job
 * is, is sealed), for error messages.
 */
export async function outboxBacklog(stack: RunningStack): Promise<string> {
  const { rows } = await stack.db.query<{ job: string; n: string }>(
    `SELECT queue AS job, count(*) AS n FROM outbox WHERE status IN ('pending', 'sent')
      GROUP BY 1 ORDER BY 2 DESC`,
  );
  return rows.map((r) => `${r.job} ${r.n}`).join(', ') || 'none';
}

/** Runs a wait; if it fails, says what was still queued and what the database was doing. */
export async function explainingTimeouts<T>(
  stack: RunningStack,
  waits: { stop(): string },
  wait: () => Promise<T>,
): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    const backlog = await outboxBacklog(stack).catch(() => 'unknown');
    throw new Error(
      `${(error as Error).message}; outbox jobs not done: ${backlog}; database sessions on average: ${waits.stop()}`,
      { cause: error },
    );
  }
}
