import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { CaseTimeSealer } from '@mayak/cases';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  eventually,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

interface CaseRead {
  createdAt: string;
  closedAt: string | null;
  timeline: Array<{ at: string; type: string }>;
  notes: Array<{ id: string; createdAt: string; text: string }>;
}

/**
 * A closed case's exact times would let a seizure join it with the telephone records by the
 * minute. Once closed, they are sealed under the contact's data key, the day stays in the
 * clear, and whoever may read the case still sees them exactly.
 */
describe('sealing the times of closed cases', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let vt: string;
  let lt: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env);
    // The worker's own minutely sealing would race the explicit runs below: pause it.
    await worker.get<Queue>(getQueueToken('maintenance')).pause();
    http = new HttpClient(api.url);
    vt = await signIn(http, await createUser(api.app, ['volunteer']));
    lt = await signIn(http, await createUser(api.app, ['lawyer']));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  const openCase = async () => {
    const receipt = await http.post<{ caseIds: string[] }>(
      '/api/contacts',
      contactBody({ services: ['legal'] }),
      { token: vt },
    );
    expect(receipt.status).toBe(201);
    const caseId = receipt.body.caseIds[0];
    expect((await http.post(`/api/cases/${caseId}/claim`, undefined, { token: lt })).status).toBe(
      200,
    );
    return caseId;
  };
  const read = async (caseId: string) => {
    const answer = await http.get<CaseRead>(`/api/cases/${caseId}`, { token: lt });
    expect(answer.status).toBe(200);
    return answer.body;
  };
  /** Rows of the case and what hangs off it whose times are not a whole week in the zone. */
  const exactTimesOf = async (caseId: string) => {
    const tz = env.config.STATS_TIMEZONE;
    const exact = (column: string) =>
      `(${column} IS NOT NULL AND ${column} <> date_trunc('week', ${column}, $2))`;
    const [row] = await env.db.query(
      `SELECT
         (SELECT count(*)::int FROM cases WHERE id = $1 AND (${[
           'created_at',
           'updated_at',
           'assigned_at',
           'closed_at',
           'due_at',
         ]
           .map(exact)
           .join(' OR ')})) AS cases,
         (SELECT count(*)::int FROM case_events WHERE case_id = $1 AND ${exact('at')}) AS events,
         (SELECT count(*)::int FROM case_notes WHERE case_id = $1 AND ${exact('created_at')}) AS notes,
         (SELECT count(*)::int FROM notifications WHERE case_id = $1 AND (${exact('created_at')} OR ${exact('read_at')})) AS notifications`,
      [caseId, tz],
    );
    return row as { cases: number; events: number; notes: number; notifications: number };
  };

  it('once sealed, a closed case keeps only days in the clear, and its reader sees the exact times', async () => {
    const closed = await openCase();
    const stillOpen = await openCase();
    for (const text of ['first note', 'second note'])
      await http.post(`/api/cases/${closed}/notes`, { text }, { token: lt });
    await http.post(`/api/cases/${closed}/close`, { outcome: 'resolved' }, { token: lt });
    const before = await read(closed);
    expect(before.closedAt).not.toBeNull();
    // Open work never had its exact times in the clear (ExactTimes); the notes did.
    expect(await exactTimesOf(closed)).toEqual({ cases: 0, events: 0, notes: 2, notifications: 0 });
    const [openWork] = await env.db.query(
      `SELECT created_enc IS NOT NULL AND closed_enc IS NOT NULL AS sealed FROM cases WHERE id = $1`,
      [closed],
    );
    expect(openWork).toEqual({ sealed: true });

    const sealer = worker.get(CaseTimeSealer);
    expect(await sealer.sealClosed()).toBe(1);

    // In the clear: days only, for the case, its events, notes and notifications.
    expect(await exactTimesOf(closed)).toEqual({ cases: 0, events: 0, notes: 0, notifications: 0 });
    const [sealed] = await env.db.query(
      `SELECT times_sealed, times_enc IS NOT NULL AS has_times FROM cases WHERE id = $1`,
      [closed],
    );
    expect(sealed).toEqual({ times_sealed: true, has_times: true });
    // Moved under the contact's key: nothing is left under the open-work key.
    const [left] = await env.db.query(
      `SELECT (SELECT count(*)::int FROM cases WHERE id = $1
                 AND num_nonnulls(created_enc, updated_enc, assigned_enc, closed_enc, due_enc) > 0) AS cases,
              (SELECT count(*)::int FROM case_events WHERE case_id = $1 AND at_enc IS NOT NULL) AS events,
              (SELECT count(*)::int FROM notifications WHERE case_id = $1 AND created_enc IS NOT NULL) AS notifications`,
      [closed],
    );
    expect(left).toEqual({ cases: 0, events: 0, notifications: 0 });
    // No exact time (to the second) is left anywhere in those rows.
    const rows = JSON.stringify(
      await env.db.query(
        `SELECT c.*, e.*, n.* FROM cases c
           LEFT JOIN case_events e ON e.case_id = c.id
           LEFT JOIN case_notes n ON n.case_id = c.id WHERE c.id = $1`,
        [closed],
      ),
    );
    for (const time of [before.createdAt, before.closedAt!, ...before.timeline.map((e) => e.at)])
      expect(rows).not.toContain(time.slice(0, 19));

    // The open case keeps the exact times its SLA and queue need, sealed beside the day.
    expect(await exactTimesOf(stillOpen)).toEqual({
      cases: 0,
      events: 0,
      notes: 0,
      notifications: 0,
    });
    const open = await read(stillOpen);
    expect(open.createdAt).not.toMatch(/T\d\d:00:00\.000Z$/);
    expect(Date.now() - Date.parse(open.createdAt)).toBeLessThan(60_000);
    expect(open.timeline.every((e) => Date.now() - Date.parse(e.at) < 60_000)).toBe(true);

    // Its reader gets the exact times back, notes in their order.
    expect(await read(closed)).toEqual(before);
    expect((await read(closed)).notes.map((n) => n.text)).toEqual(['first note', 'second note']);

    // Nothing left to do.
    expect(await sealer.sealClosed()).toBe(0);
  });

  it('a case whose contact was erased keeps only the days: the exact times went with the key', async () => {
    const closed = await openCase();
    // Erased while the case was open (retention of an expired contact does this), then closed.
    await env.db.query(
      `UPDATE contacts SET dek_wrapped = NULL, erased_at = now()
        WHERE id = (SELECT contact_id FROM cases WHERE id = $1)`,
      [closed],
    );
    await http.post(`/api/cases/${closed}/close`, { outcome: 'resolved' }, { token: lt });
    // The case's own jobs (its routing, its assignee's notice) finish first: one of them
    // still holding the row would make the sealer skip it until its next pass (SKIP LOCKED).
    await eventually(
      "the case's jobs to be done",
      async () =>
        (
          await env.db.query(
            // Case work only: the maintenance queue is paused in this suite.
            `SELECT 1 FROM outbox WHERE queue = 'cases' AND status IN ('pending', 'sent')`,
          )
        ).length === 0,
      15_000,
    );
    expect(await worker.get(CaseTimeSealer).sealClosed()).toBe(1);
    const [row] = await env.db.query(`SELECT times_sealed, times_enc FROM cases WHERE id = $1`, [
      closed,
    ]);
    expect(row).toEqual({ times_sealed: true, times_enc: null });
    expect((await exactTimesOf(closed)).cases).toBe(0);
    // Nor does the open-work key still hold them.
    const [left] = await env.db.query(
      `SELECT num_nonnulls(created_enc, updated_enc, assigned_enc, closed_enc, due_enc) AS n FROM cases WHERE id = $1`,
      [closed],
    );
    expect(left).toEqual({ n: 0 });
  });
});
