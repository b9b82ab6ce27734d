import { INestApplicationContext } from '@nestjs/common';
import { CASE_FIELDS } from '@mayak/access';
import { CaseFollowUps } from '@mayak/cases';
import { Clock } from '@mayak/platform';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  OutboxReader,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/** The calendar day, in the helpline's zone (STATS_TIMEZONE), `offset` days from now. */
function moscowDay(offset = 0): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Moscow',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(Date.now() + offset * 86_400_000));
}

/**
 * Follow-ups and handovers (issue 13.6): who may plan a call back and on what consent, the
 * timer through the outbox and the worker, a case handed to a colleague who sees only what
 * they need to decide, and the coordinators' view of what is slipping. Every step is audited.
 */
describe('follow-ups and handovers', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let outbox: OutboxReader;
  const users: Record<string, TestUser> = {};
  const token: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    outbox = OutboxReader.of(env);
    const roles = {
      lawyer: ['lawyer'],
      colleague: ['lawyer'],
      psychologist: ['psychologist'],
      volunteer: ['volunteer'],
      coordinator: ['coordinator'],
    } as const;
    for (const [name, r] of Object.entries(roles)) {
      users[name] = await createUser(api.app, [...r]);
      token[name] = await signIn(http, users[name]);
    }
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  /** A legal case assigned by a coordinator to the lawyer; consent as given. */
  async function lawyersCase(scopes = ['service:legal', 'contact_back', 'statistics']) {
    const receipt = await http.post<{ caseIds: string[] }>(
      '/api/contacts',
      contactBody({
        services: ['legal'],
        consent: {
          scopes,
          textVersion: '2026-01',
          retentionDays: 365,
          ...(scopes.includes('contact_back')
            ? { contactBack: { channel: 'phone', safeTimes: 'будни после 19:00' } }
            : {}),
        },
      }),
      { token: token.volunteer },
    );
    expect(receipt.status).toBe(201);
    const caseId = receipt.body.caseIds[0];
    const assigned = await http.put(
      `/api/cases/${caseId}/assignee`,
      { userId: users.lawyer.id },
      { token: token.coordinator },
    );
    expect(assigned.status).toBe(200);
    return caseId;
  }

  const audited = async (action: string, actorId: string, outcome = 'allow') =>
    (
      await env.db.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM audit_entries WHERE action = $1 AND actor_id = $2 AND outcome = $3`,
        [action, actorId, outcome],
      )
    )[0].n;

  it('the assignee plans a call back within the caller’s consent; the timer goes through the outbox and the worker tells them; done closes it', async () => {
    const caseId = await lawyersCase();
    const note = 'Перезвонить после суда, спросить о решении';
    const set = await http.post(
      `/api/cases/${caseId}/follow-ups`,
      { dueOn: moscowDay(0), note },
      { token: token.lawyer },
    );
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ dueOn: moscowDay(0), status: 'open', note });
    const followUpId = set.body.id as string;

    // A timer in the outbox: sealed, its job a legal follow-up carrying the id only.
    const rows = (await outbox.rows()).filter((r) => r.name === 'follow-up-due');
    expect(rows).toEqual([
      expect.objectContaining({
        queue: 'legal',
        physicalQueue: 'cases',
        payload: { followUpId },
        jobKey: outbox.jobKey(`follow-up-${followUpId}`),
      }),
    ]);
    expect(rows[0].runAt.getTime()).toBeLessThanOrEqual(Date.now());

    // The worker runs it: the assignee is told, once, about the case.
    const told = await eventually('the follow-up notification', async () => {
      const list = await http.get<Array<{ type: string; caseId: string }>>('/api/notifications', {
        token: token.lawyer,
      });
      const due = list.body.filter((n) => n.type === 'follow_up_due');
      return due.length > 0 ? due : undefined;
    });
    expect(told).toEqual([expect.objectContaining({ caseId })]);

    // On the case and on the assignee's list; the note only on the case, sealed at rest.
    const read = await http.get(`/api/cases/${caseId}`, { token: token.lawyer });
    expect(read.body.followUps).toEqual([
      expect.objectContaining({ id: followUpId, dueOn: moscowDay(0), note, notified: true }),
    ]);
    const mine = await http.get<Array<{ id: string; followUpDue: string | null }>>(
      '/api/cases?view=mine',
      { token: token.lawyer },
    );
    expect(mine.body.find((c) => c.id === caseId)?.followUpDue).toBe(moscowDay(0));
    const [stored] = await env.db.query<Array<{ due_at: Date; note_enc: Buffer; due_enc: Buffer }>>(
      `SELECT due_at, note_enc, due_enc FROM case_follow_ups WHERE id = $1`,
      [followUpId],
    );
    expect(stored.note_enc.toString('utf8')).not.toContain('суда');
    // The due day is sealed; the clear says the week only (a Monday, midnight in Moscow).
    expect(new Date(stored.due_at).getUTCDay()).toBe(0); // Sunday 21:00 UTC = Monday 00:00 MSK
    expect(new Date(stored.due_at).getUTCHours()).toBe(21);

    expect(
      (
        await http.post(`/api/cases/${caseId}/follow-ups/${followUpId}/done`, undefined, {
          token: token.lawyer,
        })
      ).status,
    ).toBe(200);
    const again = await http.post(
      `/api/cases/${caseId}/follow-ups/${followUpId}/cancel`,
      undefined,
      {
        token: token.lawyer,
      },
    );
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'follow_up_closed' });
    const after = await http.get<Array<{ id: string; followUpDue: string | null }>>(
      '/api/cases?view=mine',
      { token: token.lawyer },
    );
    expect(after.body.find((c) => c.id === caseId)?.followUpDue).toBeNull();
    expect(await audited('case:follow-up:set', users.lawyer.id)).toBe(1);
    expect(await audited('case:follow-up:close', users.lawyer.id)).toBe(1);
  });

  it('a follow-up done before its day never notifies', async () => {
    const caseId = await lawyersCase();
    const set = await http.post(
      `/api/cases/${caseId}/follow-ups`,
      { dueOn: moscowDay(3) },
      { token: token.lawyer },
    );
    expect(set.status).toBe(201);
    const row = (await outbox.rows()).find(
      (r) => r.name === 'follow-up-due' && r.payload.followUpId === set.body.id,
    );
    // Due at the start of its day, three days on.
    expect(row!.runAt.getTime()).toBeGreaterThan(Date.now() + 2 * 86_400_000);
    await http.post(`/api/cases/${caseId}/follow-ups/${set.body.id}/cancel`, undefined, {
      token: token.lawyer,
    });
    // The worker's half, run now as the timer would: a cancelled follow-up tells nobody.
    await worker.get(CaseFollowUps).due(set.body.id);
    const list = await http.get<Array<{ type: string; caseId: string }>>('/api/notifications', {
      token: token.lawyer,
    });
    expect(list.body.filter((n) => n.type === 'follow_up_due' && n.caseId === caseId)).toEqual([]);
  });

  it('no follow-up without consent to contact back, and none in the past; the screen is told why', async () => {
    const noConsent = await lawyersCase(['service:legal', 'statistics']);
    const refused = await http.post(
      `/api/cases/${noConsent}/follow-ups`,
      { dueOn: moscowDay(1) },
      { token: token.lawyer },
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'no_contact_back' });
    expect(
      await env.db.query(`SELECT 1 FROM case_follow_ups WHERE case_id = $1`, [noConsent]),
    ).toEqual([]);

    const caseId = await lawyersCase();
    const past = await http.post(
      `/api/cases/${caseId}/follow-ups`,
      { dueOn: moscowDay(-1) },
      { token: token.lawyer },
    );
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ error: 'invalid_follow_up_date' });
    const malformed = await http.post(
      `/api/cases/${caseId}/follow-ups`,
      { dueOn: '24.12.2026', note: '' },
      { token: token.lawyer },
    );
    expect(malformed.status).toBe(400);
    expect(Object.keys(malformed.body.fields ?? {}).sort()).toEqual(['dueOn', 'note']);
  });

  it('only the case’s own specialist may plan a follow-up', async () => {
    const caseId = await lawyersCase();
    for (const who of ['colleague', 'psychologist', 'coordinator', 'volunteer']) {
      const answer = await http.post(
        `/api/cases/${caseId}/follow-ups`,
        { dueOn: moscowDay(1) },
        { token: token[who] },
      );
      expect([who, answer.status]).toEqual([who, 404]);
    }
    expect(await audited('case:follow-up:set', users.colleague.id, 'deny')).toBeGreaterThan(0);
  });

  it('a case handed to a colleague: they see the note and metadata only until they accept, then it is theirs', async () => {
    const caseId = await lawyersCase();
    await http.post(
      `/api/cases/${caseId}/notes`,
      { text: 'Секретная заметка юриста' },
      {
        token: token.lawyer,
      },
    );
    const wrong = await http.post(
      `/api/cases/${caseId}/handover`,
      { toId: users.psychologist.id, note: 'x' },
      { token: token.lawyer },
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_colleague' });
    const colleagues = await http.get<Array<{ userId: string }>>(
      `/api/cases/${caseId}/colleagues`,
      {
        token: token.lawyer,
      },
    );
    expect(colleagues.body.map((c) => c.userId)).toContain(users.colleague.id);
    expect(colleagues.body.map((c) => c.userId)).not.toContain(users.lawyer.id);
    expect(colleagues.body.map((c) => c.userId)).not.toContain(users.psychologist.id);

    const note = 'Ухожу в отпуск; суд 20-го, нужен адвокат в Казани';
    const offered = await http.post(
      `/api/cases/${caseId}/handover`,
      { toId: users.colleague.id, note },
      { token: token.lawyer },
    );
    expect(offered.status).toBe(201);
    const twice = await http.post(
      `/api/cases/${caseId}/handover`,
      { toId: users.colleague.id, note },
      { token: token.lawyer },
    );
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ error: 'handover_pending' });

    // The colleague: told, and the case on their incoming list.
    const incoming = await http.get<Array<{ caseId: string; fromId: string }>>('/api/handovers', {
      token: token.colleague,
    });
    expect(incoming.body).toEqual([expect.objectContaining({ caseId, fromId: users.lawyer.id })]);
    const offeredTo = await http.get<Array<{ type: string; caseId: string }>>(
      '/api/notifications',
      {
        token: token.colleague,
      },
    );
    expect(offeredTo.body).toContainEqual(
      expect.objectContaining({ type: 'handover_offered', caseId }),
    );
    // What they need to decide, and nothing of the case's content.
    const before = await http.get(`/api/cases/${caseId}`, { token: token.colleague });
    expect(before.status).toBe(200);
    expect(Object.keys(before.body).sort()).toEqual(
      CASE_FIELDS.handover.filter((f) => f in before.body).sort(),
    );
    expect(before.body.handover).toMatchObject({ note, fromId: users.lawyer.id });
    expect(JSON.stringify(before.body)).not.toContain('Секретная');
    expect(before.body.notes).toBeUndefined();
    expect(before.body.contact).toBeUndefined();
    expect(
      (await http.post(`/api/cases/${caseId}/notes`, { text: 'n' }, { token: token.colleague }))
        .status,
    ).toBe(404);
    // Nobody else answers for them.
    expect(
      (await http.post(`/api/cases/${caseId}/handover/accept`, undefined, { token: token.lawyer }))
        .status,
    ).toBe(404);
    // The note is sealed at rest.
    const [row] = await env.db.query<Array<{ note_enc: Buffer }>>(
      `SELECT note_enc FROM case_handovers WHERE case_id = $1`,
      [caseId],
    );
    expect(row.note_enc.toString('utf8')).not.toContain('отпуск');

    const accepted = await http.post(`/api/cases/${caseId}/handover/accept`, undefined, {
      token: token.colleague,
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'in_progress', assigneeId: users.colleague.id });
    const after = await http.get(`/api/cases/${caseId}`, { token: token.colleague });
    expect(after.body.notes).toEqual([
      expect.objectContaining({ text: 'Секретная заметка юриста' }),
    ]);
    expect(after.body.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['handover_offered', 'handed_over', 'handover_accepted']),
    );
    expect((await http.get(`/api/cases/${caseId}`, { token: token.lawyer })).status).toBe(404);
    expect(await audited('case:hand-over', users.lawyer.id)).toBeGreaterThan(0);
    expect(await audited('case:handover:accept', users.colleague.id)).toBe(1);
    expect(await audited('case:handover:accept', users.lawyer.id, 'deny')).toBe(1);
  });

  it('a refused handover leaves the case with the sender, who is told', async () => {
    const caseId = await lawyersCase();
    await http.post(
      `/api/cases/${caseId}/handover`,
      { toId: users.colleague.id, note: 'Можешь взять?' },
      { token: token.lawyer },
    );
    const refused = await http.post(`/api/cases/${caseId}/handover/refuse`, undefined, {
      token: token.colleague,
    });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ assigneeId: users.lawyer.id });
    expect((await http.get(`/api/cases/${caseId}`, { token: token.colleague })).status).toBe(404);
    const told = await http.get<Array<{ type: string; caseId: string }>>('/api/notifications', {
      token: token.lawyer,
    });
    expect(told.body).toContainEqual(expect.objectContaining({ type: 'handover_refused', caseId }));
    const read = await http.get(`/api/cases/${caseId}`, { token: token.lawyer });
    expect(read.body.handover).toBeNull();
    expect(await audited('case:handover:refuse', users.colleague.id)).toBe(1);
  });

  it('coordinators see follow-ups past their day and handovers left unanswered, as metadata only', async () => {
    const caseId = await lawyersCase();
    const note = 'Заметка о звонке, которую координатор не видит';
    const set = await http.post(
      `/api/cases/${caseId}/follow-ups`,
      { dueOn: moscowDay(0), note },
      { token: token.lawyer },
    );
    const offeredCase = await lawyersCase();
    await http.post(
      `/api/cases/${offeredCase}/handover`,
      { toId: users.colleague.id, note: 'Передаю, не отвечает' },
      { token: token.lawyer },
    );

    const now = await http.get('/api/overdue-work', { token: token.coordinator });
    expect(now.status).toBe(200);
    // Today: the call back is due, not yet overdue; the handover is fresh.
    expect(now.body.followUps).toContainEqual(
      expect.objectContaining({ id: set.body.id, caseId, overdue: false }),
    );
    expect(now.body.handovers.map((h: { caseId: string }) => h.caseId)).not.toContain(offeredCase);

    // Two days later (the API's clock moved): both are slipping.
    const clock = api.app.get(Clock);
    const later = jest.spyOn(clock, 'now').mockReturnValue(new Date(Date.now() + 2 * 86_400_000));
    try {
      const overdue = await http.get('/api/overdue-work', { token: token.coordinator });
      expect(overdue.body.followUps).toContainEqual(
        expect.objectContaining({
          id: set.body.id,
          caseId,
          service: 'legal',
          assigneeId: users.lawyer.id,
          dueOn: moscowDay(0),
          overdue: true,
        }),
      );
      expect(overdue.body.handovers).toContainEqual(
        expect.objectContaining({
          caseId: offeredCase,
          fromId: users.lawyer.id,
          toId: users.colleague.id,
        }),
      );
      expect(JSON.stringify(overdue.body)).not.toContain('Заметка');
      expect(JSON.stringify(overdue.body)).not.toContain('Передаю');
    } finally {
      later.mockRestore();
    }
    expect((await http.get('/api/overdue-work', { token: token.lawyer })).status).toBe(403);
    expect((await http.get('/api/handovers', { token: token.coordinator })).status).toBe(403);
  });

  it('closing a case cancels its follow-ups and withdraws its handover', async () => {
    const caseId = await lawyersCase();
    const set = await http.post(
      `/api/cases/${caseId}/follow-ups`,
      { dueOn: moscowDay(2) },
      { token: token.lawyer },
    );
    await http.post(
      `/api/cases/${caseId}/handover`,
      { toId: users.colleague.id, note: 'Передаю' },
      { token: token.lawyer },
    );
    expect(
      (
        await http.post(
          `/api/cases/${caseId}/close`,
          { outcome: 'resolved' },
          { token: token.lawyer },
        )
      ).status,
    ).toBe(200);
    const [f] = await env.db.query<Array<{ status: string }>>(
      `SELECT status FROM case_follow_ups WHERE id = $1`,
      [set.body.id],
    );
    expect(f.status).toBe('cancelled');
    const [h] = await env.db.query<Array<{ status: string }>>(
      `SELECT status FROM case_handovers WHERE case_id = $1`,
      [caseId],
    );
    expect(h.status).toBe('withdrawn');
    expect((await http.get(`/api/cases/${caseId}`, { token: token.colleague })).status).toBe(404);
  });

  it('a caller withdrawing the service destroys the follow-ups’ and the handover’s notes with the case’s', async () => {
    const caseId = await lawyersCase();
    await http.post(
      `/api/cases/${caseId}/follow-ups`,
      { dueOn: moscowDay(1), note: 'Позвонить вечером' },
      { token: token.lawyer },
    );
    await http.post(
      `/api/cases/${caseId}/handover`,
      { toId: users.colleague.id, note: 'Передаю дело' },
      { token: token.lawyer },
    );
    const { callerId } = (await http.get(`/api/cases/${caseId}`, { token: token.lawyer })).body;
    const withdrawn = await http.post(
      `/api/callers/${callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: token.lawyer },
    );
    expect(withdrawn.status).toBe(200);
    const followUps = await env.db.query<
      Array<{ status: string; dek_wrapped: Buffer | null; note_enc: Buffer | null }>
    >(`SELECT status, dek_wrapped, note_enc FROM case_follow_ups WHERE case_id = $1`, [caseId]);
    expect(followUps).toEqual([{ status: 'cancelled', dek_wrapped: null, note_enc: null }]);
    const handovers = await env.db.query<
      Array<{ status: string; dek_wrapped: Buffer | null; note_enc: Buffer | null }>
    >(`SELECT status, dek_wrapped, note_enc FROM case_handovers WHERE case_id = $1`, [caseId]);
    expect(handovers).toEqual([{ status: 'withdrawn', dek_wrapped: null, note_enc: null }]);
  });
});
