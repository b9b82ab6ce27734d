import { AuditReferences } from '@mayak/audit';
import { OutboxReader } from '@mayak/testing';
import { Pool } from 'pg';
import { Attempt, Intake } from './load';

/** A span of time in which the fault makes an answer expected: 503s, or no answer at all. */
export interface Window {
  kind: '503' | 'no-answer';
  from: number;
  to: number;
}

export interface BookInputs {
  db: Pool;
  intakes: Intake[];
  attempts: Attempt[];
  windows: Window[];
  /** Webhook deliveries received per notification id. */
  deliveries: Map<string, number>;
  /** Notifications the browser-watching people saw, live or on a reload. */
  seen: Set<string>;
  badSignatures: number;
  /**
   * Nothing in the scenario loses a job that was sent, so every outbox row is sent once.
   * (Where Redis loses its data, re-sending is the cure; where a relay is killed or the
   * database goes away mid-send, a row may be sent again, and BullMQ drops the repeat.)
   */
  sentOnce: boolean;
  /**
   * Nothing in the scenario can cut a job off between its effect and its done-mark, so every
   * webhook arrives once. Where something can (a SIGKILL, the database gone), webhooks are
   * at-least-once by design: the receiver gets an id to drop a repeat by.
   */
  deliveredOnce: boolean;
  /** What audit entries call a record (the keys come from the cast's shares). */
  auditReferences: AuditReferences;
  /** The outbox's jobs, opened (the same keys). */
  outbox: OutboxReader;
}

export interface Books {
  requests: number;
  created: number;
  unavailable: number;
  noAnswer: number;
  intakes: number;
  /** Milliseconds from sending to the 201, median and 99th percentile. */
  latency: { p50: number; p99: number };
  lost: number;
  duplicates: number;
  cases: { assigned: number; pooled: number; emergencies: number };
  pages: number;
  escalations: number;
  resent: number;
  redelivered: number;
  problems: string[];
}

const inWindow = (a: Attempt, windows: Window[], kind: Window['kind']) =>
  windows.some((w) => w.kind === kind && a.endedAt >= w.from && a.startedAt <= w.to);

/**
 * After the fault has healed, the load has stopped and the system has drained: checks
 * every answer the clients got against what PostgreSQL holds. Returns the figures and every
 * problem found, so one run shows all that is wrong.
 */
export async function checkBooks(input: BookInputs): Promise<Books> {
  const problems: string[] = [];
  const problem = (count: number, what: string, examples: unknown[] = []) => {
    if (count > 0)
      problems.push(
        `${count} ${what}${examples.length ? `: ${JSON.stringify(examples.slice(0, 3))}` : ''}`,
      );
  };
  const { db, attempts, intakes, windows } = input;

  // The answers.
  const intakeAttempts = attempts.filter((a) => a.what === 'intake');
  const serverErrors = attempts.filter((a) => a.status >= 500 && a.status !== 503);
  problem(serverErrors.length, 'answers were 5xx other than 503', serverErrors);
  const stray503 = attempts.filter((a) => a.status === 503 && !inWindow(a, windows, '503'));
  problem(stray503.length, '503s came outside the fault', stray503);
  const strayFailures = attempts.filter(
    (a) => a.status === 0 && !inWindow(a, windows, 'no-answer'),
  );
  problem(strayFailures.length, 'requests got no answer outside the fault', strayFailures);
  const refused = attempts.filter(
    (a) =>
      a.status >= 400 &&
      a.status < 500 &&
      !(a.what === 'acknowledge' && a.status === 409) &&
      a.status !== 503,
  );
  problem(refused.length, 'requests were refused (4xx)', refused);
  const unfinished = intakes.filter((i) => i.receipts.length === 0);
  problem(
    unfinished.length,
    'intakes never got their 201',
    unfinished.map((i) => ({ key: i.key, failure: i.failure, attempts: i.attempts })),
  );
  problem(input.badSignatures, 'webhooks arrived with a bad signature');

  // Every 201 against the database.
  const contacts: Array<{
    id: string;
    services: string[];
    consents: number;
    cases: Array<{ id: string; service: string }>;
    audited: number;
  }> = (
    await db.query(
      `SELECT c.id,
              (SELECT count(*)::int FROM consents s WHERE s.contact_id = c.id) AS consents,
              coalesce((SELECT json_agg(json_build_object('id', k.id, 'service', k.service)) FROM cases k WHERE k.contact_id = c.id), '[]') AS cases
         FROM contacts c`,
    )
  ).rows;
  // Audit entries name contacts by keyed pseudonym: counted by it, then matched with the keys.
  const creations = await countByRecord(db, 'contact', 'contact:create', 'allow');
  for (const c of contacts)
    c.audited = creations.get(input.auditReferences.of('contact', c.id)) ?? 0;
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const lost: unknown[] = [];
  const halfWritten: unknown[] = [];
  const twoReceipts: unknown[] = [];
  const receipted = new Set<string>();
  for (const intake of intakes) {
    if (intake.receipts.length === 0) continue;
    const ids = new Set(intake.receipts.map((r) => r.id));
    if (ids.size > 1) twoReceipts.push({ key: intake.key, contacts: [...ids] });
    for (const receipt of new Map(intake.receipts.map((r) => [r.id, r])).values()) {
      receipted.add(receipt.id);
      const stored = byId.get(receipt.id);
      if (!stored) {
        lost.push({ key: intake.key, contact: receipt.id });
        continue;
      }
      const storedCases = new Map(stored.cases.map((k) => [k.id, k.service]));
      const wanted = [...intake.services].sort().join(',');
      const have = stored.cases
        .map((k) => k.service)
        .sort()
        .join(',');
      const missingCase = receipt.caseIds.some((id) => !storedCases.has(id));
      if (stored.consents !== 1 || stored.audited !== 1 || missingCase || wanted !== have)
        halfWritten.push({
          contact: stored.id,
          consents: stored.consents,
          audited: stored.audited,
          cases: have,
          wanted,
        });
    }
  }
  problem(lost.length, 'contacts answered 201 are missing', lost);
  problem(halfWritten.length, 'contacts are half-written', halfWritten);
  problem(twoReceipts.length, 'retries got a different receipt than the first', twoReceipts);
  const orphans = contacts.filter((c) => !receipted.has(c.id));
  problem(
    orphans.length,
    'contacts exist that no 201 announced (written twice?)',
    orphans.map((c) => c.id),
  );
  const openKeys = (
    await db.query(
      `SELECT count(*)::int AS n FROM idempotency_keys WHERE response_enc IS NULL AND response IS NULL`,
    )
  ).rows[0].n as number;
  problem(openKeys, 'idempotency keys are claimed with no answer stored');

  // Legal and psychological cases: assigned once, or waiting in the pool.
  // The route-case jobs of each case, from the sealed outbox and the finished jobs' rows.
  const routeJobs = new Map<string, { jobs: number; done: number }>();
  for (const job of await input.outbox.rows()) {
    if (job.queue !== 'routing' || job.name !== 'route-case') continue;
    const caseId = String(job.payload.caseId);
    const seen = routeJobs.get(caseId) ?? { jobs: 0, done: 0 };
    seen.jobs += 1;
    if (job.status === 'done') seen.done += 1;
    routeJobs.set(caseId, seen);
  }
  const cases: Array<{
    id: string;
    status: string;
    assignee_id: string | null;
    assigned_events: number;
    notices: number;
    route_jobs: number;
    route_done: number;
  }> = (
    (
      await db.query(
        `WITH ev AS (SELECT case_id, count(*)::int AS n FROM case_events WHERE type = 'assigned' GROUP BY case_id),
              nt AS (SELECT case_id, count(*)::int AS n FROM notifications WHERE type = 'case_assigned' GROUP BY case_id)
         SELECT k.id, k.status, k.assignee_id, coalesce(ev.n, 0) AS assigned_events,
                coalesce(nt.n, 0) AS notices
           FROM cases k LEFT JOIN ev ON ev.case_id = k.id LEFT JOIN nt ON nt.case_id = k.id
          WHERE k.service <> 'emergency'`,
      )
    ).rows as Array<{
      id: string;
      status: string;
      assignee_id: string | null;
      assigned_events: number;
      notices: number;
    }>
  ).map((k) => ({
    ...k,
    route_jobs: routeJobs.get(k.id)?.jobs ?? 0,
    route_done: routeJobs.get(k.id)?.done ?? 0,
  }));
  const assignedTwice = cases.filter((k) => k.assigned_events > 1 || k.notices > 1);
  problem(assignedTwice.length, 'cases were assigned or announced more than once', assignedTwice);
  const badCases = cases.filter(
    (k) =>
      k.route_jobs !== 1 ||
      k.route_done !== 1 ||
      !(
        (k.status === 'assigned' && k.assignee_id && k.assigned_events === 1 && k.notices === 1) ||
        (k.status === 'queued' && !k.assignee_id && k.assigned_events === 0 && k.notices === 0)
      ),
  );
  problem(
    badCases.length - assignedTwice.length,
    'cases are neither assigned once nor in their pool',
    badCases.filter((k) => !assignedTwice.includes(k)),
  );
  const loads: Array<{ user_id: string; open_cases: number; actual: number }> = (
    await db.query(
      `SELECT a.user_id, a.open_cases,
              (SELECT count(*)::int FROM cases c WHERE c.assignee_id = a.user_id AND c.status <> 'closed') AS actual
         FROM staff_availability a`,
    )
  ).rows;
  const drifted = loads.filter((l) => l.open_cases !== l.actual);
  problem(drifted.length, 'staff loads disagree with the cases they hold', drifted);
  const overfull: unknown[] = (
    await db.query(
      `SELECT a.user_id, a.capacity, count(*)::int AS routed FROM staff_availability a
         JOIN cases c ON c.assignee_id = a.user_id AND c.service <> 'emergency'
        GROUP BY a.user_id, a.capacity HAVING count(*) > a.capacity`,
    )
  ).rows;
  problem(overfull.length, 'staff were given more cases than their capacity', overfull);

  // Emergencies: every tier paged once per round of the climb, until acknowledged.
  const emergencies: Array<{
    id: string;
    status: string;
    acknowledged: boolean;
    acks: number;
    pages: Array<{ tier: number; round: number; recipients: string[]; breached: boolean }>;
  }> = (
    await db.query(
      `SELECT k.id, k.status, k.acknowledged_at IS NOT NULL AS acknowledged,
              (SELECT count(*)::int FROM case_events e WHERE e.case_id = k.id AND e.type = 'acknowledged') AS acks,
              coalesce((SELECT json_agg(json_build_object('tier', p.tier, 'round', p.round, 'recipients', p.recipients,
                                                          'breached', p.breached_at IS NOT NULL) ORDER BY p.round, p.tier)
                          FROM emergency_pages p WHERE p.case_id = k.id), '[]') AS pages
         FROM cases k WHERE k.service = 'emergency'`,
    )
  ).rows;
  const pagedEvents = new Map<string, number>();
  for (const row of (
    await db.query(
      `SELECT case_id, detail->>'tier' AS tier, detail->>'round' AS round, count(*)::int AS n
         FROM case_events WHERE type = 'paged' GROUP BY 1, 2, 3`,
    )
  ).rows as Array<{ case_id: string; tier: string; round: string; n: number }>)
    pagedEvents.set(`${row.case_id}/${row.tier}/${row.round}`, row.n);
  const pageNotices = new Map<string, { n: number; hooked: string[]; watched: string[] }>();
  for (const row of (
    await db.query(
      `SELECT case_id, count(*)::int AS n,
              coalesce(array_agg(id::text) FILTER (WHERE w.user_id IS NOT NULL), '{}') AS hooked,
              coalesce(array_agg(id::text) FILTER (WHERE w.user_id IS NULL), '{}') AS watched
         FROM notifications n LEFT JOIN staff_webhooks w ON w.user_id = n.user_id
        WHERE type = 'emergency_page' GROUP BY case_id`,
    )
  ).rows as Array<{ case_id: string; n: number; hooked: string[]; watched: string[] }>)
    pageNotices.set(row.case_id, row);
  const pageAudits = await countByRecord(db, 'case', 'emergency.page', 'success');

  let pages = 0;
  let escalations = 0;
  const unacknowledged: unknown[] = [];
  const badClimbs: unknown[] = [];
  const pagedTwice: unknown[] = [];
  const undelivered: string[] = [];
  const unseen: string[] = [];
  let redelivered = 0;
  for (const e of emergencies) {
    pages += e.pages.length;
    escalations += e.pages.filter((p) => p.breached).length;
    if (!e.acknowledged || e.status !== 'assigned' || e.acks !== 1)
      unacknowledged.push({ case: e.id, status: e.status, acks: e.acks, pages: e.pages.length });
    const expected = e.pages.map((_, i) => (i < 2 ? `${i + 1}/1` : `3/${i - 1}`));
    const climbed = e.pages.map((p) => `${p.tier}/${p.round}`);
    const breaches = e.pages.map((p) => p.breached);
    // Every page but the last timed out. The last one too only if the acknowledgement came
    // between its breach and the next page, which then found nothing to do.
    if (
      e.pages.length === 0 ||
      climbed.join() !== expected.join() ||
      breaches.slice(0, -1).some((b) => !b) ||
      (breaches[breaches.length - 1] && !e.acknowledged)
    )
      badClimbs.push({ case: e.id, climbed, breaches });
    for (const p of e.pages) {
      const events = pagedEvents.get(`${e.id}/${p.tier}/${p.round}`) ?? 0;
      if (events !== 1) pagedTwice.push({ case: e.id, tier: p.tier, round: p.round, events });
    }
    const recipients = e.pages.reduce((sum, p) => sum + p.recipients.length, 0);
    const notices = pageNotices.get(e.id) ?? { n: 0, hooked: [], watched: [] };
    const audits = pageAudits.get(input.auditReferences.of('case', e.id)) ?? 0;
    if (notices.n !== recipients || audits !== e.pages.length)
      pagedTwice.push({ case: e.id, recipients, notifications: notices.n, audits });
    for (const id of notices.hooked) {
      const received = input.deliveries.get(id) ?? 0;
      if (received === 0) undelivered.push(id);
      redelivered += Math.max(0, received - 1);
    }
    unseen.push(...notices.watched.filter((id) => !input.seen.has(id)));
  }
  problem(unacknowledged.length, 'emergencies did not end acknowledged once', unacknowledged);
  problem(badClimbs.length, 'emergencies climbed the rota out of order', badClimbs);
  problem(pagedTwice.length, 'pages were written more than once (or not whole)', pagedTwice);
  problem(undelivered.length, 'pages never reached the paged person’s webhook', undelivered);
  problem(unseen.length, 'pages never showed in the paged person’s open browser', unseen);
  if (input.deliveredOnce) problem(redelivered, 'webhooks were delivered more than once');

  // The outbox: everything done, nothing failed; sent once where nothing could cut a job off.
  // (A finished job deletes its row; recordFinishedJobs keeps it, done, in outbox_history.)
  const outbox: Array<{ status: string; n: number; resent: number }> = (
    await db.query(
      `SELECT status, count(*)::int AS n, count(*) FILTER (WHERE sends > 1)::int AS resent FROM outbox_history GROUP BY status`,
    )
  ).rows;
  const notDone = outbox.filter((o) => o.status !== 'done');
  problem(
    notDone.reduce((s, o) => s + o.n, 0),
    'outbox rows are not done after the drain',
    notDone,
  );
  const resent = outbox.reduce((s, o) => s + o.resent, 0);
  if (input.sentOnce) problem(resent, 'outbox rows were sent more than once');

  const duplicates =
    twoReceipts.length +
    orphans.length +
    assignedTwice.length +
    pagedTwice.length +
    (input.deliveredOnce ? redelivered : 0) +
    (input.sentOnce ? resent : 0);
  const times = intakeAttempts
    .filter((a) => a.status === 201)
    .map((a) => a.endedAt - a.startedAt)
    .sort((a, b) => a - b);
  const percentile = (p: number) =>
    times.length ? times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] : NaN;
  return {
    requests: intakeAttempts.length,
    latency: { p50: percentile(50), p99: percentile(99) },
    created: intakeAttempts.filter((a) => a.status === 201).length,
    unavailable: intakeAttempts.filter((a) => a.status === 503).length,
    noAnswer: intakeAttempts.filter((a) => a.status === 0).length,
    intakes: intakes.length,
    lost: lost.length,
    duplicates,
    cases: {
      assigned: cases.filter((k) => k.status === 'assigned').length,
      pooled: cases.filter((k) => k.status === 'queued').length,
      emergencies: emergencies.length,
    },
    pages,
    escalations,
    resent,
    redelivered,
    problems,
  };
}

/** How many entries of one action and outcome each record of a type has, by its reference. */
async function countByRecord(
  db: Pool,
  recordType: string,
  action: string,
  outcome: string,
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ record_id: string; n: number }>(
    `SELECT record_id, count(*)::int AS n FROM audit_entries
      WHERE record_type = $1 AND action = $2 AND outcome = $3 GROUP BY record_id`,
    [recordType, action, outcome],
  );
  return new Map(rows.map((r) => [r.record_id, r.n]));
}
