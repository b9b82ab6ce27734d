import { INestApplicationContext } from '@nestjs/common';
import { RetentionService } from '@mayak/retention';
import { StatisticsService, StatsQuery, StatsRollupService } from '@mayak/statistics';
import {
  capturedLogger,
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  runApp,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/**
 * Retention that deletes: once a contact's retention has ended and its cases are closed,
 * nothing in the database refers to it any more (its statistics live on only inside the
 * aggregates), its caller goes with it when they have no other contact, and the audit chain
 * gets a receipt.
 */
describe('the retention sweep', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  const workerLogs = capturedLogger('worker');
  let http: HttpClient;
  let vt: string;
  let lt: string;
  let lawyer: TestUser;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env, workerLogs.logger);
    http = new HttpClient(api.url);
    const volunteer = await createUser(api.app, ['volunteer']);
    lawyer = await createUser(api.app, ['lawyer']);
    vt = await signIn(http, volunteer);
    lt = await signIn(http, lawyer);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  const sweep = () => worker.get(RetentionService).sweep();
  const expire = (contactId: string) =>
    env.db.query(`UPDATE contacts SET expires_at = now() - interval '1 day' WHERE id = $1`, [
      contactId,
    ]);
  const logWithClosedCase = async (overrides: Record<string, unknown> = {}) => {
    const receipt = await http.post<{ id: string; callerId: string; caseIds: string[] }>(
      '/api/contacts',
      contactBody(overrides),
      { token: vt },
    );
    expect(receipt.status).toBe(201);
    const caseId = receipt.body.caseIds[0];
    await http.post(`/api/cases/${caseId}/claim`, undefined, { token: lt });
    await http.post(`/api/cases/${caseId}/notes`, { text: 'note' }, { token: lt });
    const closed = await http.post(
      `/api/cases/${caseId}/close`,
      { outcome: 'resolved' },
      { token: lt },
    );
    expect(closed.status).toBe(200);
    return receipt.body;
  };
  /**
   * Every row of every table as text, the audit trail's included: where an id could still
   * hide. (The trail names a contact or case only by keyed pseudonym.)
   */
  const everyRow = async (): Promise<string> => {
    const tables: Array<{ tablename: string }> = await env.db.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
    );
    const parts: string[] = [];
    for (const { tablename } of tables)
      parts.push(JSON.stringify(await env.db.query(`SELECT * FROM "${tablename}"`)));
    return parts.join('\n');
  };
  /** What the sealed rollups say (through the statistics service, which decrypts them). */
  const rollupTotals = async () => {
    const statistics = api.app.get(StatisticsService);
    const day = (offset: number) =>
      new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const total = async (period: 'day' | 'month', filters: StatsQuery['filters'] = {}) => {
      const result = await statistics.compute(
        { from: day(-40), to: day(1), period, measure: 'contacts', groupBy: [], filters },
        { unprotected: true },
      );
      return (
        result.rows.reduce((n, r) => n + (r.count ?? 0), 0) + (result.excludedWithoutConsent ?? 0)
      );
    };
    return [
      {
        day: await total('day'),
        month: await total('month'),
        region: await total('day', { region: ['RU-SPE'] }),
      },
    ];
  };

  it('deletes an expired contact with every row about it, keeping its statistics in the aggregates', async () => {
    const expired = await logWithClosedCase({
      consent: { scopes: ['service:legal'], textVersion: '2026-01', retentionDays: 30 },
    });
    const kept = await logWithClosedCase();
    const stats = worker.get(StatsRollupService);
    await stats.full();
    const [before] = await rollupTotals();
    expect(before).toEqual({ day: 2, month: 2, region: 2 });

    await expire(expired.id);
    const report = await sweep();
    expect(report.deleted).toMatchObject({ contacts: 1, cases: 1, notes: 1, callers: 1 });
    expect(report.deleted.events).toBeGreaterThan(0);

    // No row anywhere refers to the contact, its case, or its caller; the other contact stays.
    const rows = await everyRow();
    for (const id of [expired.id, expired.caseIds[0], expired.callerId])
      expect(rows).not.toContain(id);
    expect(rows).toContain(kept.id);
    const mine = await http.get<Array<{ id: string }>>('/api/contacts/mine', { token: vt });
    expect(mine.body.map((c) => c.id)).toEqual([kept.id]);

    // The statistics are the same, and stay so through a rebuild from scratch.
    expect(await rollupTotals()).toEqual([before]);
    await stats.full();
    expect(await rollupTotals()).toEqual([before]);

    // Nor does any log line name them.
    for (const id of [expired.id, expired.caseIds[0], expired.callerId])
      expect(workerLogs.text()).not.toContain(id);

    // The receipt, in the audit chain, and through the command line.
    const receipts: Array<{ reason: string }> = await env.db.query(
      `SELECT reason FROM audit_entries WHERE action = 'retention.receipt'`,
    );
    expect(receipts.map((r) => r.reason)).toEqual([
      expect.stringMatching(
        /^contacts:1,cases:1,notes:1,events:\d+,notifications:\d+,pages:0,grants:0,callers:1$/,
      ),
    ]);
    const [{ lines }] = await env.db.query(
      `SELECT count(*)::int AS lines FROM audit_entries WHERE action = 'retention.deleted'`,
    );
    expect(lines).toBe(2);
    const printed = await runApp('cli', ['retention', 'report'], env.env);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/contacts 1, cases 1, notes 1/);
    // The receipt's exact time, sealed beside its day, is opened for the report.
    const printedAt = Date.parse(printed.stdout.split(' ')[0]);
    expect(Math.abs(Date.now() - printedAt)).toBeLessThan(120_000);

    // A second run finds nothing more to do.
    expect((await sweep()).deleted.contacts).toBe(0);
  });

  it('a finished job leaves no row; rows an older version left done go at the second sweep', async () => {
    const written = async (): Promise<string> =>
      (
        await env.db.query(
          `SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('outbox', 'id')), 0)::text AS n`,
        )
      )[0].n;
    const before = await written();
    // Jobs written and finished through the real path: a contact routes to the legal service.
    const receipt = await http.post('/api/contacts', contactBody(), { token: vt });
    expect(receipt.status).toBe(201);
    // A finished job may write the next one (routing, then the notices it sends), so "nothing
    // left" can hold for a moment between them: wait until it has held for a second.
    let since = Date.now();
    await eventually(
      "the contact's jobs finished",
      async () => {
        const left = await env.db.query(`SELECT 1 FROM outbox WHERE id > $1::bigint`, [before]);
        if (left.length > 0) since = Date.now();
        return BigInt(await written()) > BigInt(before) && Date.now() - since >= 1_000;
      },
      20_000,
    );
    // Each job deleted its row as it finished: nothing is kept done for the sweep.
    expect(await env.db.query(`SELECT 1 FROM outbox WHERE status = 'done'`)).toEqual([]);
    // What an older version left: finished rows marked done, and a failed row.
    const legacy: Array<{ id: string }> = await env.db.query(
      `INSERT INTO outbox (queue, sealed, status, sent_at, done_at)
       SELECT 'cases', '\\x00'::bytea, 'done', now()::date, now()::date FROM generate_series(1, 3)
       RETURNING id::text AS id`,
    );
    await env.db.query(
      `INSERT INTO outbox (queue, sealed, status, last_error)
       VALUES ('maintenance', '\\x00'::bytea, 'failed', 'DecryptionError')`,
    );
    const done = async () =>
      (
        await env.db.query(`SELECT id::text AS id FROM outbox WHERE status = 'done' ORDER BY id`)
      ).map((r: { id: string }) => r.id);
    // The first sweep keeps what finished since the one before (an operator may look into it);
    // the next deletes it. A failed row waits for an operator.
    await sweep();
    expect(await done()).toEqual(legacy.map((r) => r.id));
    expect((await sweep()).outbox).toBeGreaterThanOrEqual(legacy.length);
    expect(await done()).toEqual([]);
    expect(await env.db.query(`SELECT 1 FROM outbox WHERE status = 'failed'`)).not.toEqual([]);
  });

  it('an expired contact whose case is still open only loses its encrypted fields until the case closes', async () => {
    const receipt = await http.post<{ id: string; callerId: string; caseIds: string[] }>(
      '/api/contacts',
      contactBody(),
      { token: vt },
    );
    const caseId = receipt.body.caseIds[0];
    await http.post(`/api/cases/${caseId}/claim`, undefined, { token: lt });
    await expire(receipt.body.id);

    const first = await sweep();
    expect(first.deleted.contacts).toBe(0);
    expect(first.contacts).toBe(1);
    const [row] = await env.db.query(
      `SELECT dek_wrapped IS NULL AS shredded, summary_enc IS NULL AS no_summary FROM contacts WHERE id = $1`,
      [receipt.body.id],
    );
    expect(row).toEqual({ shredded: true, no_summary: true });

    await http.post(`/api/cases/${caseId}/close`, { outcome: 'resolved' }, { token: lt });
    expect((await sweep()).deleted).toMatchObject({ contacts: 1, cases: 1 });
    expect(await everyRow()).not.toContain(receipt.body.id);
  });

  it('a caller with a live contact keeps their record when an older contact of theirs goes', async () => {
    const phone = '+79165550101';
    const caller = { ...contactBody().caller, identifier: phone };
    const older = await logWithClosedCase({ caller });
    const newer = await logWithClosedCase({ caller });
    expect(newer.callerId).toBe(older.callerId);
    await expire(older.id);
    expect((await sweep()).deleted).toMatchObject({ contacts: 1, callers: 0 });
    const lookup = await http.post<{ previousContacts: number }>(
      '/api/callers/lookup',
      { identifier: phone },
      { token: vt },
    );
    expect(lookup.body).toMatchObject({ previousContacts: 1 });
  });
});
