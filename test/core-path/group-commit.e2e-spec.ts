import { randomUUID } from 'node:crypto';
import { AuditReferences } from '@mayak/audit';
import { CallerRegistry } from '@mayak/contacts';
import { Actor } from '@mayak/identity';
import { IntakeService, NewContact } from '@mayak/intake';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  OutboxReader,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';
import { DataSource } from 'typeorm';

/**
 * Concurrent intakes share transactions (group commit). These check that sharing never
 * shows: every intake is whole, a caller met twice in one transaction is one caller, one bad
 * intake fails alone, and a retry never shares a transaction with its first attempt.
 */
describe('intake under concurrency (group commit)', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let volunteer: TestUser;
  let token: string;
  let intake: IntakeService;

  const actor = (user: TestUser | { id: string }): Actor =>
    ({ userId: user.id, roles: ['volunteer'] }) as unknown as Actor;
  const input = (overrides: Record<string, unknown> = {}): NewContact => {
    const body = contactBody(overrides);
    return { ...body, startedAt: new Date(body.startedAt as string) } as NewContact;
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    volunteer = await createUser(api.app, ['volunteer']);
    token = await signIn(http, volunteer);
    intake = api.app.get(IntakeService);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('fifty intakes at once share transactions, and each is whole', async () => {
    const repeat = `+7999${String(Date.now()).slice(-7)}`;
    const bodies = Array.from({ length: 50 }, (_, i) =>
      contactBody({
        summary: `concurrent ${i}`,
        ...(i % 5 === 0 ? { caller: { ...contactBody().caller, identifier: repeat } } : {}),
        ...(i % 7 === 0 ? { caller: { pseudonym: 'Anon' } } : {}),
        ...(i % 3 === 0
          ? {
              consent: {
                scopes: ['service:legal', 'contact_back', 'statistics'],
                textVersion: '2026-01',
                retentionDays: 365,
                contactBack: { channel: 'messenger', safeTimes: `evenings ${i}` },
              },
            }
          : {}),
      }),
    );
    const answers = await Promise.all(
      bodies.map((body) => http.post('/api/contacts', body, { token })),
    );
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 201));
    const ids = answers.map((a) => a.body.id as string);

    const rows: Array<{ id: string; tx: string; consents: number; cases: number; audits: number }> =
      await env.db.query(
        `SELECT ct.id, ct.xmin::text AS tx,
                (SELECT count(*)::int FROM consents c WHERE c.contact_id = ct.id) AS consents,
                (SELECT count(*)::int FROM cases c WHERE c.contact_id = ct.id) AS cases,
                (SELECT count(*)::int FROM audit_entries a
                  WHERE a.record_type = 'contact' AND a.record_id = v.ref AND a.action = 'contact:create') AS audits
           FROM unnest($1::uuid[], $2::text[]) AS v(id, ref) JOIN contacts ct ON ct.id = v.id`,
        [ids, ids.map((id) => api.app.get(AuditReferences).of('contact', id))],
      );
    expect(rows).toHaveLength(50);
    for (const row of rows) expect([row.consents, row.cases, row.audits]).toEqual([1, 1, 1]);
    // Fewer transactions than contacts: they were committed together.
    expect(new Set(rows.map((r) => r.tx)).size).toBeLessThan(50);

    const caseIds = answers.flatMap((a) => a.body.caseIds as string[]);
    const wanted = new Set(caseIds);
    const routed = new Set(
      (await OutboxReader.of(env).rows())
        .filter((j) => j.name === 'route-case' && wanted.has(String(j.payload.caseId)))
        .map((j) => j.payload.caseId),
    );
    expect(routed.size).toBe(50);

    // The repeat caller is one caller row, however many transactions met them.
    const repeated = answers.filter((_, i) => i % 5 === 0 && i % 7 !== 0);
    expect(new Set(repeated.map((a) => a.body.callerId)).size).toBe(1);
    // Anonymous callers (no identifier) are each a caller of their own.
    const anonymous = answers.filter((_, i) => i % 7 === 0);
    expect(new Set(anonymous.map((a) => a.body.callerId)).size).toBe(anonymous.length);
    // Contact-back details are kept, encrypted, for the caller they belong to.
    const registry = api.app.get(CallerRegistry);
    for (const i of [3, 6, 9]) {
      const details = await registry.contactDetails(answers[i].body.callerId as string);
      expect(details).toEqual({
        identifier: (bodies[i].caller as { identifier: string }).identifier,
        contactBack: { channel: 'messenger', safeTimes: `evenings ${i}` },
      });
    }
  });

  it('a caller met twice in one transaction is one caller, and the later contact counts the earlier', async () => {
    const identifier = `+7998${String(Date.now()).slice(-7)}`;
    const caller = { ...contactBody().caller, identifier };
    // Submitted in the same turn of the event loop: they go out in one transaction.
    const receipts = await Promise.all(
      [0, 1, 2].map(() => intake.log(actor(volunteer), input({ caller }))),
    );
    expect(new Set(receipts.map((r) => r.callerId)).size).toBe(1);
    expect(receipts.map((r) => r.repeatCaller.previousContacts)).toEqual([0, 1, 2]);
    const [{ tx }] = await env.db.query(
      `SELECT count(DISTINCT xmin::text)::int AS tx FROM contacts WHERE id = ANY($1::uuid[])`,
      [receipts.map((r) => r.id)],
    );
    expect(tx).toBe(1);
  });

  it('one intake that fails inside a shared transaction fails alone, and leaves nothing', async () => {
    const ghost = { id: randomUUID() }; // no such user: its contact breaks a foreign key
    const outcomes = await Promise.allSettled([
      intake.log(actor(volunteer), input({ summary: 'fine 1' })),
      intake.log(actor(ghost), input({ summary: 'ghost' })),
      intake.log(actor(volunteer), input({ summary: 'fine 2' })),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const [{ n }] = await env.db.query(
      `SELECT count(*)::int AS n FROM contacts WHERE volunteer_id = $1`,
      [ghost.id],
    );
    expect(n).toBe(0);
    const [{ audits }] = await env.db.query(
      `SELECT count(*)::int AS audits FROM audit_entries WHERE actor_id = $1`,
      [ghost.id],
    );
    expect(audits).toBe(0);
  });

  it('a retry submitted with its first attempt never shares its transaction, and gets the same answer', async () => {
    const body = input({ summary: 'retried at once' });
    const key = `retry-${randomUUID()}`;
    const [a, b, c] = await Promise.all([
      intake.log(actor(volunteer), body, key),
      intake.log(actor(volunteer), body, key),
      intake.log(actor(volunteer), input({ summary: 'another' })),
    ]);
    expect(b).toEqual(a);
    expect(c.id).not.toBe(a.id);
    const [{ n }] = await env.db.query(`SELECT count(*)::int AS n FROM contacts WHERE id = $1`, [
      a.id,
    ]);
    expect(n).toBe(1);
    const [{ cases }] = await env.db.query(
      `SELECT count(*)::int AS cases FROM cases WHERE contact_id = $1`,
      [a.id],
    );
    expect(cases).toBe(1);
  });

  it('a plain intake takes no lock on its caller: read, then written in one statement', async () => {
    const registry = api.app.get(CallerRegistry);
    const locked = jest.spyOn(registry, 'recogniseLocked');
    try {
      const identifier = `+7997${String(Date.now()).slice(-7)}`;
      const first = await intake.log(actor(volunteer), input({ caller: { identifier } }));
      const second = await intake.log(actor(volunteer), input({ caller: { identifier } }));
      expect(second.callerId).toBe(first.callerId);
      expect(second.repeatCaller.previousContacts).toBe(1);
      expect(locked).not.toHaveBeenCalled();
    } finally {
      locked.mockRestore();
    }
  });

  /**
   * Another process's intake of the same caller lands between this one's unlocked read and
   * its statement (recogniseMany in a transaction of its own, as a second API process would
   * move the counter): the statement must write nothing, and the batch be written the locking
   * way, counting the other contact.
   */
  async function interleaved(identifier: string) {
    const registry = api.app.get(CallerRegistry);
    const db = api.app.get(DataSource);
    const read = registry.recogniseUnlocked.bind(registry);
    const unlocked = jest
      .spyOn(registry, 'recogniseUnlocked')
      .mockImplementationOnce(async (...args) => {
        const plan = await read(...args);
        await db.transaction((em) => registry.recogniseMany(em, [{ identifier }]));
        return plan;
      });
    const locked = jest.spyOn(registry, 'recogniseLocked');
    try {
      const receipt = await intake.log(actor(volunteer), input({ caller: { identifier } }));
      // Once by the other intake, once by this one's second try, the locking way.
      expect(locked).toHaveBeenCalledTimes(2);
      return receipt;
    } finally {
      unlocked.mockRestore();
      locked.mockRestore();
    }
  }

  it('a known caller changed between the read and the write loses no count', async () => {
    const identifier = `+7996${String(Date.now()).slice(-7)}`;
    const first = await intake.log(actor(volunteer), input({ caller: { identifier } }));
    const receipt = await interleaved(identifier);
    expect(receipt.callerId).toBe(first.callerId);
    expect(receipt.repeatCaller.previousContacts).toBe(2);
    expect(await api.app.get(CallerRegistry).previousContacts(identifier)).toBe(3);
    const [{ n }] = await env.db.query(`SELECT count(*)::int AS n FROM contacts WHERE id = $1`, [
      receipt.id,
    ]);
    expect(n).toBe(1);
  });

  it('a caller added by another intake between the read and the write is one caller, counted', async () => {
    const identifier = `+7995${String(Date.now()).slice(-7)}`;
    const receipt = await interleaved(identifier);
    expect(receipt.repeatCaller.previousContacts).toBe(1);
    expect(await api.app.get(CallerRegistry).previousContacts(identifier)).toBe(2);
    const [{ callers }] = await env.db.query(
      `SELECT count(*)::int AS callers FROM callers WHERE id = $1`,
      [receipt.callerId],
    );
    expect(callers).toBe(1);
  });
});
