import { PendingWithdrawals } from '@mayak/consent';
import { randomUUID } from 'node:crypto';
import { CallerLinks, ContactRecords, ContactSealingPass } from '@mayak/contacts';
import { KeyedHash } from '@mayak/platform';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  rawTableContents,
  schemaBefore,
  upgradeTo,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
} from '@mayak/testing';

const SEALED_CONTACTS = 'SealedContacts1765000000000';

/** The tables with a row whose text form holds `value`. */
async function tablesHolding(env: TestEnvironment, value: string): Promise<string[]> {
  const tables: Array<{ name: string }> = await env.db.query(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const holding: string[] = [];
  for (const { name } of tables) {
    const [{ n }] = await env.db.query(
      `SELECT count(*)::int AS n FROM "${name}" t WHERE strpos(t::text, $1) > 0`,
      [value],
    );
    if (n > 0) holding.push(name);
  }
  return holding;
}

/**
 * Issue 11: an installation upgraded in place. Its contacts were written by the version
 * before: region, orientation, times and the caller's id in plaintext, the caller's id also
 * on consents and cases. After the migration and one start with the keys, none of it is left
 * in the clear, no plaintext id links the caller's calls, and everything that used the link
 * works as before: the repeat-caller count, a new call of the same caller, withdrawal.
 */
describe('contacts written by the version before are sealed in place', () => {
  let env: TestEnvironment;
  let api: RunningApi | undefined;
  const phone = `+7 900 ${String(Date.now()).slice(-7)}`;
  const known = randomUUID();
  const anonymous = randomUUID();
  const old = [
    { id: randomUUID(), caller: known, daysAgo: 3, region: 'RU-TVE', orientation: 'pansexual' },
    { id: randomUUID(), caller: known, daysAgo: 1, region: 'RU-TVE', orientation: 'pansexual' },
    { id: randomUUID(), caller: anonymous, daysAgo: 2, region: 'RU-YAR', orientation: null },
  ];
  const caseIds = old.map(() => randomUUID());

  beforeAll(async () => {
    env = await createTestEnvironment();
    await env.wipe();
    const ring = await schemaBefore(env, SEALED_CONTACTS);
    // Rows as the version before wrote them, the caller recognised by the installation's key.
    const hash = new KeyedHash(ring).callerIdentifier(phone);
    await env.db.query(
      `INSERT INTO callers (id, identifier_hash, hash_generation) VALUES ($1, $2, $3), ($4, NULL, 0)`,
      [known, hash, ring.current('caller').generation, anonymous],
    );
    for (const [n, c] of old.entries()) {
      await env.db.query(
        `INSERT INTO contacts (id, caller_id, channel, started_at, duration_seconds, region, orientation, topics,
                               outcome, services, stats_consented, created_at, expires_at)
         VALUES ($1, $2, 'phone', now() - make_interval(days => $3), 420, $4, $5, '{police}', 'referred', '{legal}', true,
                 now() - make_interval(days => $3), now() + interval '300 days')`,
        [c.id, c.caller, c.daysAgo, c.region, c.orientation],
      );
      await env.db.query(
        `INSERT INTO consents (id, caller_id, contact_id, scopes, text_version, retention_days)
         VALUES ($1, $2, $3, '{statistics,service:legal}', '2026-01', 365)`,
        [randomUUID(), c.caller, c.id],
      );
      await env.db.query(
        `INSERT INTO cases (id, service, status, priority, caller_id, contact_id, region, topics, due_at)
         VALUES ($1, 'legal', 'queued', 2, $2, $3, $4, '{police}', now() + interval '3 days')`,
        [caseIds[n], c.caller, c.id, c.region],
      );
    }
    ring.wipe();

    expect(await upgradeTo(env)).toContain(SEALED_CONTACTS);
    api = await startApi(env);
    await api.app.get(ContactSealingPass).settled();
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('leaves no attribute and no caller id in the clear', async () => {
    const left: Array<{ unsealed: number; facts: number; untagged: number }> = await env.db.query(
      `SELECT (SELECT count(*)::int FROM contacts_unsealed) AS unsealed,
              (SELECT count(*)::int FROM contact_facts) AS facts,
              (SELECT count(*)::int FROM contacts WHERE caller_tag IS NULL) AS untagged`,
    );
    expect(left[0]).toEqual({ unsealed: 0, facts: 3, untagged: 0 });
    const raw = (await rawTableContents(env.superuserUrl)).toString('latin1');
    // Not on the contacts, and not on their cases either (open ones included): routing and
    // the case's readers open the contact's facts.
    for (const secret of ['pansexual', 'RU-TVE', 'RU-YAR', 'police']) {
      expect({ secret, in: await tablesHolding(env, secret) }).toEqual({ secret, in: [] });
      expect(raw).not.toContain(secret);
    }
    // The caller's id is the key of its own row and nowhere else.
    const rows = JSON.stringify(
      await env.db.query(
        `SELECT (SELECT json_agg(c) FROM contacts c) AS contacts, (SELECT json_agg(s) FROM consents s) AS consents,
                (SELECT json_agg(k) FROM cases k) AS cases`,
      ),
    );
    expect(rows).not.toContain(known);
    expect(rows).not.toContain(anonymous);
    // Each contact's day replaces its time; its tag is the caller's link, computable only with the key.
    const links = api!.app.get(CallerLinks);
    const tagged: Array<{ id: string; tag: Buffer }> = await env.db.query(
      `SELECT id, caller_tag AS tag FROM contacts`,
    );
    const tags = new Map(tagged.map((t) => [t.id, t.tag.toString('hex')]));
    expect(tags.get(old[0].id)).toBe(links.tag(known, 0).toString('hex'));
    expect(tags.get(old[1].id)).toBe(links.tag(known, 1).toString('hex'));
    expect(tags.get(old[2].id)).toBe(links.tag(anonymous, 0).toString('hex'));
  });

  it('opens the sealed facts for a reader exactly as they were', async () => {
    const records = api!.app.get(ContactRecords);
    const row = await records.findForCase(old[0].id);
    const view = await records.view(row!, randomUUID());
    expect(view).toMatchObject({
      callerId: known,
      region: 'RU-TVE',
      durationSeconds: 420,
      caller: { orientation: 'pansexual' },
      topics: ['police'],
      services: ['legal'],
    });
    expect(Date.now() - view.startedAt.getTime()).toBeGreaterThan(3 * 86_400_000 - 60_000);
    expect(Date.now() - view.startedAt.getTime()).toBeLessThan(3 * 86_400_000 + 60_000);
  });

  it('still recognises the caller, counts their calls, and withdraws over all of them', async () => {
    const http = new HttpClient(api!.url);
    const volunteer = await createUser(api!.app, ['volunteer']);
    const token = await signIn(http, volunteer);
    const lookup = await http.post('/api/callers/lookup', { identifier: phone }, { token });
    expect(lookup.body).toMatchObject({ previousContacts: 2 });
    const body = contactBody({ caller: { identifier: phone } });
    const headers = { 'idempotency-key': 'the-repeat-call' };
    const call = await http.post('/api/contacts', body, { token, headers });
    expect(call.status).toBe(201);
    expect(call.body).toMatchObject({ callerId: known, repeatCaller: { previousContacts: 2 } });
    // The answer kept for a retry is sealed (it names the caller), and names its contact by
    // keyed pseudonym only.
    const stored = JSON.stringify(await env.db.query(`SELECT * FROM idempotency_keys`));
    expect(stored).not.toContain(known);
    expect(stored).not.toContain(call.body.id);
    const retry = await http.post('/api/contacts', body, { token, headers });
    expect({ status: retry.status, body: retry.body }).toEqual({ status: 201, body: call.body });
    const withdrawal = await http.post(
      `/api/callers/${known}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token },
    );
    expect(withdrawal.status).toBe(200);
    // This call's own cases at once; the earlier calls' (logged by others) once a coordinator
    // confirms and 24 h have passed (issue 12.2): they are still found through the caller.
    expect([...withdrawal.body.closedCaseIds].sort()).toEqual([...call.body.caseIds].sort());
    const coordinator = await signIn(http, await createUser(api!.app, ['coordinator']));
    expect(
      (
        await http.post(`/api/withdrawals/${withdrawal.body.pendingId}/confirm`, undefined, {
          token: coordinator,
        })
      ).status,
    ).toBe(204);
    expect(
      await api!.app.get(PendingWithdrawals).applyDue(new Date(Date.now() + 49 * 3_600_000)),
    ).toBe(1);
    const closed: Array<{ id: string }> = await env.db.query(
      `SELECT id FROM cases WHERE id = ANY($1::uuid[]) AND status = 'closed' AND outcome = 'withdrawn'`,
      [[caseIds[0], caseIds[1]]],
    );
    expect(closed).toHaveLength(2);
    // The anonymous caller's case is not theirs, and stays open.
    const [{ status }] = await env.db.query(`SELECT status FROM cases WHERE id = $1`, [caseIds[2]]);
    expect(status).toBe('queued');
  });

  it('a second pass (another process, the next unseal) finds nothing to do', async () => {
    expect(await api!.app.get(ContactSealingPass).sealRemaining()).toBe(0);
  });
});
