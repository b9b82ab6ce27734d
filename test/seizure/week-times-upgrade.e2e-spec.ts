import { randomBytes, randomUUID } from 'node:crypto';
import { createTestEnvironment, schemaBefore, TestEnvironment, upgradeTo } from '@mayak/testing';

const WEEK_TIMES = 'WeekTimes1766100000000';

/**
 * Issue 11: an installation upgraded in place. The version before kept every per-call time as
 * the day (contacts, consents, callers, closed cases and what hangs off them, open work beside
 * its sealed exact times). The migration leaves the week, the Monday in STATS_TIMEZONE
 * (Europe/Moscow here), and leaves alone what still holds an exact time for the passes that
 * seal it.
 */
describe('per-call days written by the version before', () => {
  let env: TestEnvironment;
  const callerId = randomUUID();
  const sealed = randomUUID();
  const unsealed = randomUUID();
  const closedCase = randomUUID();
  const legacyOpenCase = randomUUID();
  // Thursday 5 November 2026: its day in Moscow began at 21:00 UTC the day before, its week on
  // Monday the 2nd (21:00 UTC on Sunday the 1st).
  const thursday = '2026-11-05';
  const moscowThursday = '2026-11-04T21:00:00Z';
  const moscowMonday = new Date('2026-11-01T21:00:00Z');
  const exact = new Date('2026-11-05T13:37:21.123Z');

  beforeAll(async () => {
    env = await createTestEnvironment();
    await env.wipe();
    await schemaBefore(env, WEEK_TIMES);
    const q = (sql: string, params: unknown[] = []) => env.db.query(sql, params);
    await q(`INSERT INTO callers (id, created_at, updated_at) VALUES ($1, $2::date, $2::date)`, [
      callerId,
      thursday,
    ]);
    for (const id of [sealed, unsealed])
      await q(
        `INSERT INTO contacts (id, day, created_at, expires_at)
         VALUES ($1, $2::date, $3, $2::date + interval '30 days')`,
        [id, thursday, id === sealed ? `${thursday}T00:00:00Z` : exact],
      );
    await q(`INSERT INTO contact_facts (contact_id, dek_wrapped, facts_enc) VALUES ($1, $2, $3)`, [
      sealed,
      randomBytes(40),
      randomBytes(80),
    ]);
    for (const id of [sealed, unsealed])
      await q(
        `INSERT INTO consents (id, contact_id, scopes, text_version, retention_days, given_at, withdrawn_at)
         VALUES ($1, $2, '{statistics,service:legal}', '2026-01', 30, $3::date, $3::date)`,
        [randomUUID(), id, thursday],
      );
    // A closed case, its times the day (CaseTimeSealer); an open one from before open work
    // was sealed, its times still exact.
    await q(
      `INSERT INTO cases (id, service, status, priority, contact_id, created_at, updated_at, due_at, closed_at, times_sealed)
       VALUES ($1, 'legal', 'closed', 2, $2, $3, $3, $3, $3, true)`,
      [closedCase, sealed, moscowThursday],
    );
    await q(
      `INSERT INTO cases (id, service, status, priority, contact_id, created_at, updated_at, due_at)
       VALUES ($1, 'legal', 'queued', 2, $2, $3, $3, $3)`,
      [legacyOpenCase, sealed, exact],
    );
    await q(
      `INSERT INTO case_events (case_id, at, type) VALUES ($1, $2, 'closed'), ($3, $4, 'created')`,
      [closedCase, moscowThursday, legacyOpenCase, exact],
    );
    expect(await upgradeTo(env)).toContain(WEEK_TIMES);
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it("a sealed contact keeps its call's week: in its own row, its consent, and its retention's end", async () => {
    const [contact] = await env.db.query(
      `SELECT week::text AS week, created_at, expires_at FROM contacts WHERE id = $1`,
      [sealed],
    );
    expect(contact.week).toBe('2026-11-02');
    expect(contact.created_at).toEqual(moscowMonday);
    // The week's end plus the 30 days: the whole period after the call, a few days more.
    expect(contact.expires_at).toEqual(new Date(moscowMonday.getTime() + 37 * 86_400_000));
    const [consent] = await env.db.query(
      `SELECT given_at, withdrawn_at FROM consents WHERE contact_id = $1`,
      [sealed],
    );
    expect(consent).toEqual({ given_at: moscowMonday, withdrawn_at: moscowMonday });
    const [caller] = await env.db.query(`SELECT created_at, updated_at FROM callers`);
    expect(caller).toEqual({
      created_at: new Date('2026-11-02T00:00:00Z'),
      updated_at: new Date('2026-11-02T00:00:00Z'),
    });
  });

  it('a closed case and its events keep the week; what is still exact waits for the pass that seals it', async () => {
    const [closed] = await env.db.query(
      `SELECT created_at, updated_at, due_at, closed_at FROM cases WHERE id = $1`,
      [closedCase],
    );
    expect(closed).toEqual({
      created_at: moscowMonday,
      updated_at: moscowMonday,
      due_at: moscowMonday,
      closed_at: moscowMonday,
    });
    const events: Array<{ case_id: string; at: Date }> = await env.db.query(
      `SELECT case_id, at FROM case_events ORDER BY type`,
    );
    expect(events).toEqual([
      { case_id: closedCase, at: moscowMonday },
      { case_id: legacyOpenCase, at: exact },
    ]);
    const [open] = await env.db.query(`SELECT created_at FROM cases WHERE id = $1`, [
      legacyOpenCase,
    ]);
    expect(open.created_at).toEqual(exact);
    // An unsealed contact's time of logging is still to be sealed with its facts.
    const [waiting] = await env.db.query(
      `SELECT week::text AS week, created_at FROM contacts WHERE id = $1`,
      [unsealed],
    );
    expect(waiting).toEqual({ week: '2026-11-02', created_at: exact });
  });
});
