import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AuditSearch, AuditVerifier } from '@mayak/audit';
import { OpenWorkSealing } from '@mayak/cases';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

/** The tables of open work, and every one of their time columns (from the catalog). */
const OPEN_WORK = [
  'cases',
  'case_events',
  'notifications',
  'emergency_pages',
  'case_follow_ups',
  'case_handovers',
];

/**
 * Issue 11: an open case needs its exact times (its SLA, its place in a queue, "paged 2 min
 * ago"), but a seizure that finds them in the clear beside the case's service joins the case
 * with the telephone records by the second and learns what the caller sought, or that their
 * life was in danger. Open work therefore keeps only the day in the clear, from its first
 * write; the exact times are sealed beside it, and every reader still sees them exactly.
 */
describe('open work keeps only the day in the clear', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  const token: Record<string, string> = {};
  let responderId: string;
  let started: number;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    for (const [name, roles] of [
      ['volunteer', ['volunteer']],
      ['lawyer', ['lawyer']],
      ['psychologist', ['psychologist']],
      ['responder', ['responder']],
      ['coordinator', ['coordinator']],
    ] as const) {
      const user = await createUser(api.app, [...roles]);
      if (name === 'responder') responderId = user.id;
      token[name] = await signIn(http, user);
    }
    for (const name of ['lawyer', 'psychologist'])
      await http.put(
        '/api/staff/me/availability',
        { onShift: true, capacity: 10, regions: [] },
        { token: token[name] },
      );
    await http.post(
      '/api/rota/shifts',
      {
        userId: responderId,
        tier: 1,
        startsAt: new Date(Date.now() - 3_600_000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
      { token: token.coordinator },
    );
    started = Date.now();
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  /**
   * Every time value of open work's tables that is not a whole week in the zone (its Monday's
   * midnight): not even a day, which beside the case's service attaches it to a day's calls.
   */
  const exactTimesInTheClear = async (): Promise<string[]> => {
    const columns: Array<{ table_name: string; column_name: string }> = await env.db.query(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = ANY($1) AND data_type LIKE 'timestamp%'`,
      [OPEN_WORK],
    );
    expect(columns.length).toBeGreaterThanOrEqual(12);
    const found: string[] = [];
    for (const { table_name: t, column_name: c } of columns) {
      const rows: Array<{ v: Date }> = await env.db.query(
        `SELECT ${c} AS v FROM ${t} WHERE ${c} IS NOT NULL AND ${c} <> date_trunc('week', ${c}, $1)`,
        [env.config.STATS_TIMEZONE],
      );
      for (const r of rows) found.push(`${t}.${c} = ${r.v.toISOString()}`);
    }
    return found;
  };

  const recent = (iso: string | null | undefined) =>
    iso !== null && iso !== undefined && Math.abs(Date.parse(iso) - Date.now()) < 120_000;

  it('legal, psychological and emergency work, routed, paged and acknowledged, leaves no exact time in the clear', async () => {
    const legal = await http.post<{ caseIds: string[] }>(
      '/api/contacts',
      contactBody({
        services: ['legal', 'psych'],
        consent: {
          scopes: ['service:legal', 'service:psych', 'statistics'],
          textVersion: '2026-01',
          retentionDays: 365,
        },
      }),
      { token: token.volunteer },
    );
    expect(legal.status).toBe(201);
    const emergency = await http.post<{ caseIds: string[] }>(
      '/api/contacts',
      contactBody({
        immediateRisk: true,
        services: [],
        consent: {
          scopes: ['service:emergency', 'statistics'],
          textVersion: '2026-01',
          retentionDays: 365,
        },
      }),
      { token: token.volunteer },
    );
    expect(emergency.status).toBe(201);
    const [legalCase, psychCase] = legal.body.caseIds;
    const [emergencyCase] = emergency.body.caseIds;

    // Routed to the lawyer and the psychologist (with their notifications), paged to the responder.
    await eventually('routing, notifying and paging', async () => {
      const [row] = await env.db.query(
        `SELECT (SELECT count(*)::int FROM cases WHERE id = ANY($1::uuid[]) AND status = 'assigned') AS assigned,
                (SELECT count(*)::int FROM notifications WHERE case_id = ANY($1::uuid[])) AS notified,
                (SELECT count(*)::int FROM emergency_pages WHERE case_id = $2::uuid) AS pages`,
        [[legalCase, psychCase], emergencyCase],
      );
      return row.assigned === 2 && row.notified === 2 && row.pages >= 1 ? row : undefined;
    });
    const ack = await http.post(`/api/cases/${emergencyCase}/acknowledge`, undefined, {
      token: token.responder,
    });
    expect(ack.status).toBe(200);
    await http.post(`/api/cases/${legalCase}/accept`, undefined, { token: token.lawyer });

    expect(await exactTimesInTheClear()).toEqual([]);

    // Readers still get the exact times.
    const read = await http.get<Record<string, any>>(`/api/cases/${legalCase}`, {
      token: token.lawyer,
    });
    expect(read.status).toBe(200);
    for (const field of ['createdAt', 'updatedAt', 'assignedAt', 'dueAt'])
      expect(Date.parse(read.body[field])).toBeGreaterThanOrEqual(started - 1_000);
    expect(Date.parse(read.body.dueAt) - Date.parse(read.body.createdAt)).toBe(72 * 3_600_000);
    expect(read.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      'created',
      'assigned',
      'accepted',
    ]);
    expect(read.body.timeline.every((e: { at: string }) => recent(e.at))).toBe(true);

    const mine = await http.get<Array<Record<string, any>>>('/api/cases?view=mine', {
      token: token.lawyer,
    });
    expect(mine.status).toBe(200);
    expect(mine.body.map((c) => c.id)).toContain(legalCase);
    expect(mine.body.every((c) => recent(c.createdAt))).toBe(true);

    const notes = await http.get<Array<{ createdAt: string }>>('/api/notifications', {
      token: token.lawyer,
    });
    expect(notes.body.length).toBe(1);
    expect(recent(notes.body[0].createdAt)).toBe(true);

    const board = await http.get<Array<Record<string, any>>>('/api/emergencies', {
      token: token.responder,
    });
    expect(board.status).toBe(200);
    const entry = board.body.find((e) => e.id === emergencyCase)!;
    expect(recent(entry.createdAt) && recent(entry.pagedAt) && recent(entry.acknowledgedAt)).toBe(
      true,
    );
  });

  it("the audit trail keeps the week of what was done to a caller's records; the investigator reads the second", async () => {
    // An action's name at an exact time ("emergency.page" a minute after a call) attached the
    // risk flag to a telephone record without any record id.
    const exact: Array<{ action: string; record_type: string | null }> = await env.db.query(
      `SELECT action, record_type FROM audit_entries
        WHERE coalesce(record_type, '') NOT IN ('user', 'key_custody', 'audit_key')
          AND at <> date_trunc('week', at, $1)`,
      [env.config.STATS_TIMEZONE],
    );
    expect(exact).toEqual([]);
    const [{ n }] = await env.db.query(
      `SELECT count(*)::int AS n FROM audit_entries WHERE action IN ('emergency.page', 'case:acknowledge') AND at_enc IS NOT NULL`,
    );
    expect(n).toBeGreaterThanOrEqual(2);
    const [emergency] = await env.db.query(`SELECT id FROM cases WHERE service = 'emergency'`);
    const found = await api.app.get(AuditSearch).about('case', emergency.id);
    expect(found.map((f) => f.action)).toEqual(
      expect.arrayContaining(['emergency.page', 'case:acknowledge']),
    );
    expect(found.every((f) => recent(f.at.toISOString()))).toBe(true);
    // The chain covers the sealed time, and verifies.
    await eventually('the chain to link every entry', async () => {
      const [row] = await env.db.query(`SELECT count(*)::int AS n FROM audit_unlinked`);
      return row.n === 0 ? true : undefined;
    });
    expect(await api.app.get(AuditVerifier).verify()).toMatchObject({ ok: true });
  });

  it('open work written by the version before is sealed in place at start', async () => {
    await worker.get<Queue>(getQueueToken('maintenance')).pause();
    // As the version before wrote it: exact times in the clear, nothing sealed.
    await env.db.query(
      `UPDATE cases SET created_at = created_at + interval '13 hours 7 minutes 5 seconds', created_enc = NULL,
                        updated_at = updated_at + interval '13 hours 7 minutes 6 seconds', updated_enc = NULL,
                        due_at = due_at + interval '14 hours 7 minutes 5 seconds', due_enc = NULL`,
    );
    await env.db.query(
      `UPDATE case_events SET at = at + interval '13 hours 7 minutes 5 seconds', at_enc = NULL`,
    );
    await env.db.query(
      `UPDATE notifications SET created_at = created_at + interval '13 hours 7 minutes 8 seconds', created_enc = NULL`,
    );
    await env.db.query(
      `UPDATE emergency_pages SET paged_at = paged_at + interval '13 hours 7 minutes 8 seconds', paged_enc = NULL`,
    );
    expect((await exactTimesInTheClear()).length).toBeGreaterThan(8);
    const sealed = await worker.get(OpenWorkSealing).sealRemaining();
    expect(sealed).toBe(3);
    expect(await exactTimesInTheClear()).toEqual([]);
    // What was exact is still exact for its reader.
    const [{ id }] = await env.db.query(`SELECT id FROM cases WHERE service = 'legal'`);
    const [{ day }] = await env.db.query(`SELECT created_at AS day FROM cases WHERE id = $1`, [id]);
    const read = await http.get<Record<string, any>>(`/api/cases/${id}`, { token: token.lawyer });
    expect(Date.parse(read.body.createdAt) - (day as Date).getTime()).toBeGreaterThan(0);
    expect(new Date(read.body.createdAt).getUTCSeconds()).not.toBe(0);
    expect(await worker.get(OpenWorkSealing).sealRemaining()).toBe(0);
  });

  it('a consent withdrawal closes cases through the lifecycle: no exact time in the clear', async () => {
    // The withdrawal wrote closed_at = now() itself, the second of the withdrawal in the
    // clear beside the case's service; it now closes through the case lifecycle.
    const receipt = await http.post<{ id: string; callerId: string; caseIds: string[] }>(
      '/api/contacts',
      contactBody({ services: ['legal'] }),
      { token: token.volunteer },
    );
    expect(receipt.status).toBe(201);
    const [caseId] = receipt.body.caseIds;
    await eventually('the case to be assigned', async () => {
      const [row] = await env.db.query(`SELECT status FROM cases WHERE id = $1`, [caseId]);
      return row.status === 'assigned' ? true : undefined;
    });
    const withdrawn = await http.post(
      `/api/callers/${receipt.body.callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: token.volunteer },
    );
    expect(withdrawn.status).toBe(200);
    const [row] = await env.db.query(
      `SELECT status, outcome, closed_enc IS NOT NULL AS sealed FROM cases WHERE id = $1`,
      [caseId],
    );
    expect(row).toEqual({ status: 'closed', outcome: 'withdrawn', sealed: true });
    expect(await exactTimesInTheClear()).toEqual([]);
  });

  it('a follow-up and a handover keep the week in the clear too; the assignee reads the day', async () => {
    const logged = await http.post<{ caseIds: string[] }>(
      '/api/contacts',
      contactBody({
        services: ['legal'],
        consent: {
          scopes: ['service:legal', 'contact_back', 'statistics'],
          textVersion: '2026-01',
          retentionDays: 365,
          contactBack: { channel: 'phone', safeTimes: 'evenings' },
        },
      }),
      { token: token.volunteer },
    );
    const [caseId] = logged.body.caseIds;
    await eventually('routing to the lawyer on shift', async () => {
      const [row] = await env.db.query(`SELECT status FROM cases WHERE id = $1`, [caseId]);
      return row.status === 'assigned' ? row : undefined;
    });
    const dueOn = new Intl.DateTimeFormat('en-CA', { timeZone: env.config.STATS_TIMEZONE }).format(
      new Date(Date.now() + 2 * 86_400_000),
    );
    const set = await http.post(
      `/api/cases/${caseId}/follow-ups`,
      { dueOn },
      { token: token.lawyer },
    );
    expect(set.status).toBe(201);
    await http.post(`/api/cases/${caseId}/follow-ups/${set.body.id}/done`, undefined, {
      token: token.lawyer,
    });
    const colleague = await createUser(api.app, ['lawyer']);
    const offered = await http.post(
      `/api/cases/${caseId}/handover`,
      { toId: colleague.id, note: 'over to you' },
      { token: token.lawyer },
    );
    expect(offered.status).toBe(201);
    await http.post(`/api/cases/${caseId}/handover/refuse`, undefined, {
      token: await signIn(http, colleague),
    });

    expect(await exactTimesInTheClear()).toEqual([]);
    const read = await http.get(`/api/cases/${caseId}`, { token: token.lawyer });
    expect(read.body.followUps).toEqual([expect.objectContaining({ dueOn, status: 'done' })]);
  });
});
