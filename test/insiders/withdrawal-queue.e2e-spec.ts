import { PendingWithdrawals } from '@mayak/consent';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

const HOUR = 3_600_000;

/**
 * A volunteer logs a fake contact with a target's number, learns the caller's id, and
 * withdraws every scope: the caller's legal notes, logged by others, were destroyed at once
 * (issue 12.2). Now what the volunteer logged on this call is withdrawn at once (the caller's
 * own protection is not weakened), and the rest waits in the coordinators' queue: confirmed
 * by a coordinator and applied 24 h or more after the request, or rejected.
 */
describe('a withdrawal that reaches records someone else logged', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  const token: Record<string, string> = {};
  let insider: TestUser;

  beforeAll(async () => {
    env = await createTestEnvironment({ WITHDRAWALS_PER_DAY_NOTIFY: '3' });
    api = await startApi(env);
    http = new HttpClient(api.url);
    insider = await createUser(api.app, ['volunteer']);
    token.insider = await signIn(http, insider);
    for (const [name, roles] of [
      ['volunteer', ['volunteer']],
      ['lawyer', ['lawyer']],
      ['coordinator', ['coordinator']],
      ['other', ['coordinator']],
    ] as const)
      token[name] = await signIn(http, await createUser(api.app, [...roles]));
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  /** A real call with a lawyer's note on its case; then the insider's fake call, same number. */
  async function targetWithNote(): Promise<{ callerId: string; caseId: string }> {
    const number = `+7900${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const real = await http.post<{ callerId: string; caseIds: string[] }>(
      '/api/contacts',
      contactBody({ caller: { identifier: number }, services: ['legal'] }),
      { token: token.volunteer },
    );
    const caseId = real.body.caseIds[0];
    expect(
      (await http.post(`/api/cases/${caseId}/claim`, undefined, { token: token.lawyer })).status,
    ).toBe(200);
    expect(
      (
        await http.post(
          `/api/cases/${caseId}/notes`,
          { text: 'court date 12 May' },
          { token: token.lawyer },
        )
      ).status,
    ).toBe(201);
    const fake = await http.post<{ callerId: string }>(
      '/api/contacts',
      contactBody({ caller: { identifier: number }, services: ['legal'] }),
      { token: token.insider },
    );
    expect(fake.body.callerId).toBe(real.body.callerId);
    return { callerId: real.body.callerId, caseId };
  }
  const notes = async (caseId: string) =>
    (
      await http.get<{ notes: Array<{ text: string | null }> }>(`/api/cases/${caseId}`, {
        token: token.lawyer,
      })
    ).body.notes;

  it("takes the volunteer's own call at once, queues the rest, and applies it only when confirmed and 24 h later", async () => {
    const { callerId, caseId } = await targetWithNote();
    const withdrawn = await http.post<{ closedCaseIds: string[]; pendingId?: string }>(
      `/api/callers/${callerId}/consent/withdraw`,
      { scopes: ['service:legal', 'service:psych', 'contact_back', 'statistics'] },
      { token: token.insider },
    );
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.pendingId).toEqual(expect.any(String));
    // The insider's own (fake) case is closed at once; the real one and its note are intact.
    expect(withdrawn.body.closedCaseIds).not.toContain(caseId);
    expect((await notes(caseId)).map((n) => n.text)).toEqual(['court date 12 May']);

    // Coordinators see it, are told, and nobody else sees the queue.
    const queue = await http.get<Array<{ id: string; requestedBy: string }>>('/api/withdrawals', {
      token: token.coordinator,
    });
    expect(queue.body).toEqual([
      expect.objectContaining({
        id: withdrawn.body.pendingId,
        requestedBy: insider.id,
        requestedByUsername: insider.username,
      }),
    ]);
    expect(JSON.stringify(queue.body)).not.toContain(callerId);
    expect((await http.get('/api/withdrawals', { token: token.insider })).status).toBe(403);
    const told = await http.get<Array<{ type: string; aboutUserId: string }>>(
      '/api/notifications',
      { token: token.coordinator },
    );
    expect(told.body.filter((n) => n.type === 'withdrawal_pending')).toEqual([
      expect.objectContaining({ aboutUserId: insider.id }),
    ]);

    // Confirmed, it still waits its 24 h.
    const id = withdrawn.body.pendingId!;
    expect(
      (await http.post(`/api/withdrawals/${id}/confirm`, undefined, { token: token.coordinator }))
        .status,
    ).toBe(204);
    expect(
      (await http.post(`/api/withdrawals/${id}/confirm`, undefined, { token: token.other })).status,
    ).toBe(404);
    const pending = api.app.get(PendingWithdrawals);
    expect(await pending.applyDue(new Date(Date.now() + 2 * HOUR))).toBe(0);
    expect((await notes(caseId)).map((n) => n.text)).toEqual(['court date 12 May']);
    expect(await pending.applyDue(new Date(Date.now() + 49 * HOUR))).toBe(1);
    const [row] = await env.db.query(`SELECT status, outcome FROM cases WHERE id = $1`, [caseId]);
    expect(row).toEqual({ status: 'closed', outcome: 'withdrawn' });
    expect((await http.get('/api/withdrawals', { token: token.coordinator })).body).toEqual([]);
  });

  it('a rejected request is never applied', async () => {
    const { callerId, caseId } = await targetWithNote();
    const withdrawn = await http.post<{ pendingId?: string }>(
      `/api/callers/${callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: token.insider },
    );
    const id = withdrawn.body.pendingId!;
    expect(
      (await http.post(`/api/withdrawals/${id}/reject`, undefined, { token: token.other })).status,
    ).toBe(204);
    expect(await api.app.get(PendingWithdrawals).applyDue(new Date(Date.now() + 72 * HOUR))).toBe(
      0,
    );
    expect((await notes(caseId)).map((n) => n.text)).toEqual(['court date 12 May']);
  });

  it("the caller's own withdrawal, on the call that logged them, still takes effect at once", async () => {
    const fresh = await http.post<{ callerId: string; caseIds: string[] }>(
      '/api/contacts',
      contactBody({ services: ['legal'] }),
      { token: token.volunteer },
    );
    const withdrawn = await http.post<{ closedCaseIds: string[]; pendingId?: string }>(
      `/api/callers/${fresh.body.callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: token.volunteer },
    );
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.pendingId).toBeUndefined();
    expect(withdrawn.body.closedCaseIds).toEqual(fresh.body.caseIds);
  });

  it('a burst of withdrawals by one person tells the coordinators once, and still takes effect', async () => {
    const burster = await createUser(api.app, ['volunteer']);
    const own = await signIn(http, burster);
    const receipts = [];
    for (let i = 0; i < 4; i++) {
      const call = await http.post<{ callerId: string }>(
        '/api/contacts',
        contactBody({ services: ['legal'] }),
        { token: own },
      );
      receipts.push(
        await http.post(
          `/api/callers/${call.body.callerId}/consent/withdraw`,
          { scopes: ['statistics'] },
          { token: own },
        ),
      );
    }
    expect(receipts.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const told = await http.get<Array<{ type: string; aboutUserId: string }>>(
      '/api/notifications',
      { token: token.coordinator },
    );
    expect(told.body.filter((n) => n.type === 'withdrawal_burst')).toEqual([
      expect.objectContaining({ aboutUserId: burster.id }),
    ]);
  });
});
