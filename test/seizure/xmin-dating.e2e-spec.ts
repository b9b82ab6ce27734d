import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { RESTAMPED_TABLES, RowRestamp } from '@mayak/retention';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

/**
 * Issue 11, an attacker with SQL alone: every row carries the id of the transaction that wrote
 * it (`xmin`), and rows that keep exact times (staff accounts' entries in the audit trail, outbox rows)
 * pair ids with times, so any row can be dated to the second by the stamp next in id: the
 * consent (its scopes say which services the caller sought) or the case with it. RowRestamp
 * gives a week's rows one transaction id (the week their own columns keep).
 */
describe('transaction ids do not date the rows about a call', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let token: string;
  const logged: Array<{ contactId: string; sent: number; answered: number }> = [];

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env);
    await worker.get<Queue>(getQueueToken('maintenance')).pause();
    http = new HttpClient(api.url);
    token = await signIn(http, await createUser(api.app, ['volunteer']));
    for (let i = 0; i < 4; i++) {
      const sent = Date.now();
      const receipt = await http.post<{ id: string }>(
        '/api/contacts',
        contactBody({ services: ['legal'] }),
        { token },
      );
      expect(receipt.status).toBe(201);
      logged.push({ contactId: receipt.body.id, sent, answered: Date.now() });
      // The helpline goes on: an account is created at once (an audit entry that keeps its
      // exact time, written by the next transaction), as happens during a shift.
      await createUser(api.app, ['volunteer']);
      await new Promise((r) => setTimeout(r, 1_500));
    }
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  /**
   * The attacker's dating of each logged contact's consent: the first exact time written by a
   * transaction whose id is not below the consent row's. How many land within half a second of
   * the request that logged the call.
   */
  const datedToTheSecond = async (): Promise<number> => {
    // The helpline goes on: an account is created (an entry with its exact time), as happens.
    await createUser(api.app, ['volunteer']);
    // Every exact time the attacker finds beside a transaction id: audit entries that keep
    // theirs (staff accounts), and outbox rows (which now keep only the day).
    const stamps: Array<{ xid: string; at: Date }> = await env.db.query(
      `SELECT xid, at FROM (
         SELECT xmin::text AS xid, at FROM audit_entries WHERE at <> date_trunc('day', at, $1)
         UNION ALL SELECT xmin::text, created_at FROM outbox
                    WHERE created_at <> date_trunc('day', created_at, $1)) s
        ORDER BY xid::bigint`,
      [env.config.STATS_TIMEZONE],
    );
    const consents: Array<{ contact_id: string; xid: string }> = await env.db.query(
      `SELECT contact_id, xmin::text AS xid FROM consents`,
    );
    let dated = 0;
    for (const { contactId, sent, answered } of logged) {
      const consent = consents.find((c) => c.contact_id === contactId)!;
      // Dated by the first exact time written at or after it (the account created just after).
      const xid = Number(consent.xid);
      const next = stamps.find((a) => Number(a.xid) >= xid) ?? stamps[stamps.length - 1];
      const at = next.at.getTime();
      if (at >= sent - 500 && at <= answered + 500) dated++;
    }
    return dated;
  };

  const distinctIdsOfTodaysRows = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const [table] of RESTAMPED_TABLES) {
      const [{ n }] = await env.db.query(
        `SELECT count(DISTINCT xmin::text)::int AS n FROM ${table}`,
      );
      out[table] = n;
    }
    return out;
  };

  it('before a pass exact stamps date every consent by its transaction id; after it, none', async () => {
    expect(await datedToTheSecond()).toBe(logged.length);

    const restamp = worker.get(RowRestamp);
    const first = await restamp.pass();
    expect(first.rows).toBeGreaterThan(logged.length * 4);

    expect(await datedToTheSecond()).toBe(0);
    // Every row about a call written today carries one and the same transaction id.
    const ids = await distinctIdsOfTodaysRows();
    for (const [table, n] of Object.entries(ids)) expect([table, n <= 1]).toEqual([table, true]);
  });

  it('later passes the same week rewrite the new rows of that week again; the first pass of a new week closes it', async () => {
    const restamp = worker.get(RowRestamp);
    // The first pass closed the week it had not seen yet: nothing is new since.
    expect(await restamp.pass()).toEqual({ rows: 0, closedWeek: false });

    const logAnother = async () =>
      expect(
        (await http.post('/api/contacts', contactBody({ services: [] }), { token })).status,
      ).toBe(201);
    await logAnother();
    const one = await restamp.pass();
    expect(one).toMatchObject({ closedWeek: false });
    expect(one.rows).toBeGreaterThan(0);
    await logAnother();
    // The week's rows so far, the earlier new call's with this one's, take the new pass's id.
    const two = await restamp.pass();
    expect(two.rows).toBeGreaterThan(one.rows);
    expect((await distinctIdsOfTodaysRows()).consents).toBe(2);

    // The week turns, as the pass sees it: this pass closes the week before, for good.
    await env.db.query(`UPDATE row_restamps SET day = day - 7`);
    expect(await restamp.pass()).toMatchObject({ rows: two.rows, closedWeek: true });
    expect(await restamp.pass()).toEqual({ rows: 0, closedWeek: false });
    expect(await datedToTheSecond()).toBe(0);
  });
});
