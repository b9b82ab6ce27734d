import { randomUUID } from 'node:crypto';
import { AuditReferences } from '@mayak/audit';
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

/** No worker here: cases stay in the pool until a test claims them, so each test sets its own scene. */
describe('the case lifecycle, integrity and consent', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let volunteer: TestUser;
  let lawyer: TestUser;
  let otherLawyer: TestUser;
  let psychologist: TestUser;
  let coordinator: TestUser;
  const token: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    volunteer = await createUser(api.app, ['volunteer']);
    lawyer = await createUser(api.app, ['lawyer']);
    otherLawyer = await createUser(api.app, ['lawyer']);
    psychologist = await createUser(api.app, ['psychologist']);
    coordinator = await createUser(api.app, ['coordinator']);
    for (const u of [volunteer, lawyer, otherLawyer, psychologist, coordinator])
      token[u.id] = await signIn(http, u);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const both = () =>
    contactBody({
      services: ['legal', 'psych'],
      consent: {
        scopes: ['service:legal', 'service:psych', 'contact_back', 'statistics'],
        textVersion: '2026-01',
        retentionDays: 365,
      },
    });

  async function twoCases(): Promise<{
    contactId: string;
    callerId: string;
    legal: string;
    psych: string;
  }> {
    const receipt = await http.post('/api/contacts', both(), { token: token[volunteer.id] });
    expect(receipt.status).toBe(201);
    const rows: Array<{ id: string; service: string }> = await env.db.query(
      `SELECT id, service FROM cases WHERE contact_id = $1`,
      [receipt.body.id],
    );
    return {
      contactId: receipt.body.id,
      callerId: receipt.body.callerId,
      legal: rows.find((r) => r.service === 'legal')!.id,
      psych: rows.find((r) => r.service === 'psych')!.id,
    };
  }

  it('of two simultaneous claims of one pool case, exactly one gets 200 and the other 404, like a missing case', async () => {
    for (let round = 0; round < 5; round++) {
      const { legal } = await twoCases();
      const results = await Promise.all([
        http.post(`/api/cases/${legal}/claim`, undefined, { token: token[lawyer.id] }),
        http.post(`/api/cases/${legal}/claim`, undefined, { token: token[otherLawyer.id] }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 404]);
      const loser = results.find((r) => r.status === 404)!;
      const missing = await http.post(`/api/cases/${randomUUID()}/claim`, undefined, {
        token: token[lawyer.id],
      });
      expect(missing.status).toBe(404);
      expect(loser.body).toEqual(missing.body);
      // Claiming it again, after the race, answers the same.
      const again = await http.post(`/api/cases/${legal}/claim`, undefined, {
        token: token[results[0].status === 404 ? lawyer.id : otherLawyer.id],
      });
      expect([again.status, again.body]).toEqual([404, missing.body]);
      const [row] = await env.db.query(`SELECT status, assignee_id FROM cases WHERE id = $1`, [
        legal,
      ]);
      expect(row.status).toBe('assigned');
      expect([lawyer.id, otherLawyer.id]).toContain(row.assignee_id);
    }
  });

  it('a double submit with the same Idempotency-Key creates one contact, even at the same moment', async () => {
    const body = contactBody({ summary: 'double submit' });
    const headers = { 'idempotency-key': 'submit-3f1c2a9e-0001' };
    const [a, b] = await Promise.all([
      http.post('/api/contacts', body, { token: token[volunteer.id], headers }),
      http.post('/api/contacts', body, { token: token[volunteer.id], headers }),
    ]);
    const c = await http.post('/api/contacts', body, { token: token[volunteer.id], headers });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(b.body).toEqual(a.body);
    expect(c.body).toEqual(a.body);
    const [{ n }] = await env.db.query(`SELECT count(*)::int AS n FROM contacts WHERE id = $1`, [
      a.body.id,
    ]);
    expect(n).toBe(1);
    const [{ cases }] = await env.db.query(
      `SELECT count(*)::int AS cases FROM cases WHERE contact_id = $1`,
      [a.body.id],
    );
    expect(cases).toBe(1);
    // The same key with a different request is refused, not silently answered with the first.
    const other = await http.post('/api/contacts', contactBody({ summary: 'something else' }), {
      token: token[volunteer.id],
      headers,
    });
    expect(other.status).toBe(422);
    expect(other.body.error).toBe('idempotency_key_reused');
  });

  it('a psychologist never sees legal notes and a lawyer never sees psychological notes, even for the same caller', async () => {
    const { legal, psych } = await twoCases();
    await http.post(`/api/cases/${legal}/claim`, undefined, { token: token[lawyer.id] });
    await http.post(`/api/cases/${psych}/claim`, undefined, { token: token[psychologist.id] });
    await http.post(
      `/api/cases/${legal}/notes`,
      { text: 'legal strategy' },
      { token: token[lawyer.id] },
    );
    await http.post(
      `/api/cases/${psych}/notes`,
      { text: 'therapy note' },
      { token: token[psychologist.id] },
    );
    expect((await http.get(`/api/cases/${legal}`, { token: token[psychologist.id] })).status).toBe(
      404,
    );
    expect((await http.get(`/api/cases/${psych}`, { token: token[lawyer.id] })).status).toBe(404);
    const own = await http.get(`/api/cases/${psych}`, { token: token[psychologist.id] });
    expect(own.body.notes.map((n: { text: string }) => n.text)).toEqual(['therapy note']);
    expect(JSON.stringify(own.body)).not.toContain('legal strategy');
  });

  it('accept, close with an outcome, and the timeline records each step', async () => {
    const { legal } = await twoCases();
    expect(
      (await http.post(`/api/cases/${legal}/claim`, undefined, { token: token[lawyer.id] })).status,
    ).toBe(200);
    expect(
      (await http.post(`/api/cases/${legal}/accept`, undefined, { token: token[lawyer.id] })).body
        .status,
    ).toBe('in_progress');
    expect(
      (
        await http.post(
          `/api/cases/${legal}/close`,
          { outcome: 'resolved' },
          { token: token[lawyer.id] },
        )
      ).body.status,
    ).toBe('closed');
    expect(
      (
        await http.post(
          `/api/cases/${legal}/close`,
          { outcome: 'resolved' },
          { token: token[lawyer.id] },
        )
      ).status,
    ).toBe(409);
    const read = await http.get(`/api/cases/${legal}`, { token: token[lawyer.id] });
    expect(read.body.outcome).toBe('resolved');
    expect(read.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      'created',
      'claimed',
      'accepted',
      'closed',
    ]);
    const bad = await http.post(
      `/api/cases/${legal}/close`,
      { outcome: 'vanished' },
      { token: token[lawyer.id] },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty('outcome');
  });

  it('a coordinator reassigns (metadata only) and the load moves with the case', async () => {
    const { legal } = await twoCases();
    await http.post(`/api/cases/${legal}/claim`, undefined, { token: token[lawyer.id] });
    const load = async (id: string) =>
      (await env.db.query(`SELECT open_cases FROM staff_availability WHERE user_id = $1`, [id]))[0]
        ?.open_cases ?? 0;
    const before = [await load(lawyer.id), await load(otherLawyer.id)];
    const moved = await http.put(
      `/api/cases/${legal}/assignee`,
      { userId: otherLawyer.id },
      { token: token[coordinator.id] },
    );
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ id: legal, status: 'assigned', assigneeId: otherLawyer.id });
    expect([await load(lawyer.id), await load(otherLawyer.id)]).toEqual([
      before[0] - 1,
      before[1] + 1,
    ]);
    // Not to someone who cannot serve the case.
    const wrong = await http.put(
      `/api/cases/${legal}/assignee`,
      { userId: psychologist.id },
      { token: token[coordinator.id] },
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_assignee');
    const board = await http.get('/api/cases?view=board&service=legal', {
      token: token[coordinator.id],
    });
    const entry = board.body.find((c: { id: string }) => c.id === legal);
    expect(entry.assigneeId).toBe(otherLawyer.id);
    expect(entry).not.toHaveProperty('topics');
  });

  it('swapping the ciphertexts of two rows makes both fail to decrypt, with a generic error and an audit entry', async () => {
    const a = await twoCases();
    const b = await twoCases();
    await http.post(`/api/cases/${a.legal}/claim`, undefined, { token: token[lawyer.id] });
    await http.post(`/api/cases/${b.legal}/claim`, undefined, { token: token[lawyer.id] });
    // An attacker with database access moves one caller's summary onto another's contact.
    await env.db.query(
      `UPDATE contacts SET summary_enc = CASE id WHEN $1::uuid THEN (SELECT summary_enc FROM contacts WHERE id = $2::uuid)
                                                       ELSE (SELECT summary_enc FROM contacts WHERE id = $1::uuid) END
        WHERE id IN ($1::uuid, $2::uuid)`,
      [a.contactId, b.contactId],
    );
    for (const { legal, contactId } of [a, b]) {
      const response = await http.get(`/api/cases/${legal}`, { token: token[lawyer.id] });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({
        statusCode: 500,
        error: 'record_unreadable',
        message: expect.any(String),
      });
      expect(response.text).not.toMatch(/Detained|aes|gcm|tag/i);
      const audit = await env.db.query(
        `SELECT outcome, reason FROM audit_entries WHERE action = 'crypto.decrypt' AND record_type = 'contact' AND record_id = $1`,
        [api.app.get(AuditReferences).of('contact', contactId)],
      );
      expect(audit).toEqual([{ outcome: 'failure', reason: 'integrity' }]);
    }
    // Notes too.
    await http.post(`/api/cases/${a.legal}/notes`, { text: 'note a' }, { token: token[lawyer.id] });
    await http.post(`/api/cases/${b.legal}/notes`, { text: 'note b' }, { token: token[lawyer.id] });
    const notes: Array<{ id: string }> = await env.db.query(
      `SELECT id FROM case_notes WHERE case_id = ANY($1::uuid[])`,
      [[a.legal, b.legal]],
    );
    await env.db.query(
      `UPDATE case_notes SET text_enc = CASE id WHEN $1::uuid THEN (SELECT text_enc FROM case_notes WHERE id = $2::uuid)
                                                  ELSE (SELECT text_enc FROM case_notes WHERE id = $1::uuid) END
        WHERE id IN ($1::uuid, $2::uuid)`,
      [notes[0].id, notes[1].id],
    );
    await env.db.query(`UPDATE contacts SET summary_enc = NULL WHERE id IN ($1, $2)`, [
      a.contactId,
      b.contactId,
    ]);
    const response = await http.get(`/api/cases/${a.legal}`, { token: token[lawyer.id] });
    expect(response.status).toBe(500);
    expect(response.body.error).toBe('record_unreadable');
  });

  it('withdrawing service:legal erases the legal data and closes the legal case, while the psych case goes on', async () => {
    const { legal, psych, callerId, contactId } = await twoCases();
    await http.post(`/api/cases/${legal}/claim`, undefined, { token: token[lawyer.id] });
    await http.post(`/api/cases/${psych}/claim`, undefined, { token: token[psychologist.id] });
    await http.post(
      `/api/cases/${legal}/notes`,
      { text: 'legal note to be erased' },
      { token: token[lawyer.id] },
    );
    await http.post(
      `/api/cases/${psych}/notes`,
      { text: 'psych note that stays' },
      { token: token[psychologist.id] },
    );

    // Someone with no tie to the caller cannot withdraw for them.
    const stranger = await http.post(
      `/api/callers/${callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: token[otherLawyer.id] },
    );
    expect(stranger.status).toBe(404);

    const withdrawn = await http.post(
      `/api/callers/${callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: token[lawyer.id] },
    );
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toEqual({
      callerId,
      withdrawn: ['service:legal'],
      closedCaseIds: [legal],
    });

    // The lawyer is told it was erased, not given a decryption error, and sees none of it.
    const legalRead = await http.get(`/api/cases/${legal}`, { token: token[lawyer.id] });
    expect(legalRead.status).toBe(200);
    expect(legalRead.body).toMatchObject({
      status: 'closed',
      outcome: 'withdrawn',
      erased: ['notes', 'contact'],
    });
    expect(legalRead.body.notes).toEqual([expect.objectContaining({ text: null, erased: true })]);
    expect(legalRead.body).not.toHaveProperty('contact');
    expect(legalRead.body.timeline.map((e: { type: string }) => e.type)).toContain('withdrawn');
    // The key is destroyed: no ciphertext or data key remains in the database.
    const [note] = await env.db.query(
      `SELECT dek_wrapped, text_enc FROM case_notes WHERE case_id = $1`,
      [legal],
    );
    expect(note).toEqual({ dek_wrapped: null, text_enc: null });

    // The psych case goes on, with its notes and the contact it was raised from.
    const psychRead = await http.get(`/api/cases/${psych}`, { token: token[psychologist.id] });
    expect(psychRead.body.status).toBe('assigned');
    expect(psychRead.body.notes[0].text).toBe('psych note that stays');
    expect(psychRead.body.contact.summary).toMatch(/Detained/);

    // Withdrawing psych too leaves no service consent on the contact: the summary goes.
    await http.post(
      `/api/callers/${callerId}/consent/withdraw`,
      { scopes: ['service:psych', 'contact_back'] },
      { token: token[psychologist.id] },
    );
    const [contact] = await env.db.query(
      `SELECT dek_wrapped, summary_enc, erased_at FROM contacts WHERE id = $1`,
      [contactId],
    );
    expect(contact.dek_wrapped).toBeNull();
    expect(contact.summary_enc).toBeNull();
    expect(contact.erased_at).not.toBeNull();
    const [caller] = await env.db.query(
      `SELECT identifier_enc, identifier_hash FROM callers WHERE id = $1`,
      [callerId],
    );
    expect(caller.identifier_enc).toBeNull();
    expect(caller.identifier_hash).not.toBeNull(); // still recognised as a repeat caller
    const mine = await http.get('/api/contacts/mine', { token: token[volunteer.id] });
    const entry = mine.body.find((c: { id: string }) => c.id === contactId);
    expect(entry).toMatchObject({ summary: null, erased: ['summary', 'pseudonym', 'referrals'] });

    const audit = await env.db.query(
      `SELECT outcome, reason FROM audit_entries WHERE action = 'caller:consent-withdraw' AND record_type = 'caller' AND record_id = $1 ORDER BY seq`,
      [api.app.get(AuditReferences).of('caller', callerId)],
    );
    expect(audit).toEqual([
      { outcome: 'deny', reason: 'relation' },
      { outcome: 'allow', reason: 'scopes:service:legal' },
      { outcome: 'allow', reason: 'scopes:service:psych,contact_back' },
    ]);
  });
});
