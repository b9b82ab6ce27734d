import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  runApp,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/** An audit entry as `audit find --json` prints it. */
interface Finding {
  seq: string;
  at: string;
  actorId: string | null;
  action: string;
  outcome: string;
  reason: string | null;
  reference: 'pseudonym' | 'plain';
}

/** Every way an id could sit in a dump: as written, either case, without dashes, its bytes. */
function spellings(id: string): string[] {
  const bytes = Buffer.from(id.replace(/-/g, ''), 'hex');
  return [
    id.toLowerCase(),
    id.toUpperCase(),
    id.replace(/-/g, '').toLowerCase(),
    id.replace(/-/g, '').toUpperCase(),
    bytes.toString('base64'),
    bytes.toString('base64url'),
  ];
}

/**
 * An attacker holds a superuser dump of the audit trail, whose entries keep their exact time,
 * and the rest of the database. If an entry named the contact, case or caller it is about,
 * its time to the millisecond would join to that record, and through the telephone records
 * to a phone number. They name them only by keyed pseudonym: nothing in the dump equals or
 * contains a record's id. An investigator with the keys still finds every entry about a
 * record (`npm run cli -- audit find`).
 */
describe('audit entries name callers’ records only by keyed pseudonym', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let volunteer: TestUser;
  let lawyer: TestUser;
  let otherLawyer: TestUser;
  let coordinator: TestUser;
  const token: Record<string, string> = {};
  const contacts: string[] = [];
  const callers: string[] = [];
  const cases: string[] = [];

  const dump = async (): Promise<string> =>
    (
      await env.db.query<Array<{ line: string }>>(
        `SELECT a::text AS line FROM audit_entries a ORDER BY seq`,
      )
    )
      .map((r) => r.line)
      .join('\n');

  const find = async (recordType: string, recordId: string): Promise<Finding[]> => {
    const result = await runApp(
      'cli',
      ['audit', 'find', '--record-type', recordType, '--record-id', recordId, '--json'],
      env.env,
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Finding);
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    volunteer = await createUser(api.app, ['volunteer']);
    lawyer = await createUser(api.app, ['lawyer']);
    otherLawyer = await createUser(api.app, ['lawyer']);
    coordinator = await createUser(api.app, ['coordinator']);
    for (const u of [volunteer, lawyer, otherLawyer, coordinator])
      token[u.id] = await signIn(http, u);

    // Calls, with the cases they raise; then the work on them that audits a case or a caller.
    for (let i = 0; i < 6; i++) {
      const receipt = await http.post(
        '/api/contacts',
        contactBody({
          services: i % 2 === 0 ? ['legal'] : ['legal', 'psych'],
          consent: {
            scopes: ['service:legal', 'service:psych', 'contact_back', 'statistics'],
            textVersion: '2026-01',
            retentionDays: 365,
          },
        }),
        { token: token[volunteer.id] },
      );
      expect(receipt.status).toBe(201);
      contacts.push(receipt.body.id);
      callers.push(receipt.body.callerId);
      cases.push(...(receipt.body.caseIds as string[]));
    }
    const legal = cases[0];
    expect(
      (await http.post(`/api/cases/${legal}/claim`, undefined, { token: token[lawyer.id] })).status,
    ).toBe(200);
    await http.post(`/api/cases/${legal}/notes`, { text: 'a note' }, { token: token[lawyer.id] });
    await http.get(`/api/cases/${legal}`, { token: token[lawyer.id] });
    await http.get(`/api/cases/${legal}`, { token: token[otherLawyer.id] }); // denied: 404
    await http.get(`/api/cases/${cases[1]}`, { token: token[coordinator.id] });
    await http.post(
      `/api/callers/${callers[0]}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: token[otherLawyer.id] }, // denied: no tie to the caller
    );
    expect(
      (
        await http.post(
          `/api/callers/${callers[0]}/consent/withdraw`,
          { scopes: ['service:legal'] },
          { token: token[lawyer.id] },
        )
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('no contact, case or caller id is in a superuser dump of the audit trail, in any spelling', async () => {
    const [{ about }] = await env.db.query(
      `SELECT count(*)::int AS about FROM audit_entries WHERE record_type IN ('contact', 'case', 'caller')`,
    );
    // The trail does speak of these records: contact:create, claim, notes, reads, denials,
    // the withdrawal and its denial.
    expect(about).toBeGreaterThanOrEqual(contacts.length + 7);
    const text = await dump();
    const leaked = [...contacts, ...cases, ...callers].filter((id) =>
      spellings(id).some((s) => text.includes(s)),
    );
    expect(leaked).toEqual([]);
    // The control: the search would have found ids, and staff ids are plain (they are the actors).
    expect(text).toContain(volunteer.id);
    const references: Array<{ record_id: string }> = await env.db.query(
      `SELECT record_id FROM audit_entries WHERE record_type IN ('contact', 'case', 'caller')`,
    );
    for (const { record_id } of references) expect(record_id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('the chain covers the pseudonyms as it covered the ids', async () => {
    const result = await runApp('cli', ['verify-audit'], env.env);
    expect(result.stdout).toMatch(/^OK: \d+ entries verified/);
    expect(result.code).toBe(0);
  });

  it('with the keys, `audit find` gives the entries about one contact, case or caller', async () => {
    const contact = await find('contact', contacts[0]);
    expect(contact).toEqual([
      expect.objectContaining({
        actorId: volunteer.id,
        action: 'contact:create',
        outcome: 'allow',
        reference: 'pseudonym',
      }),
    ]);
    // Its exact time, which the dump alone cannot tie to the contact.
    expect(Number.isNaN(Date.parse(contact[0].at))).toBe(false);

    const legal = await find('case', cases[0]);
    expect(legal.map((e) => [e.actorId, e.action, e.outcome])).toEqual(
      expect.arrayContaining([
        [lawyer.id, 'case:claim', 'allow'],
        [lawyer.id, 'case:read', 'allow'],
        [otherLawyer.id, 'case:read', 'deny'],
      ]),
    );
    const caller = await find('caller', callers[0]);
    expect(caller.map((e) => [e.actorId, e.action, e.outcome, e.reason])).toEqual([
      [otherLawyer.id, 'caller:consent-withdraw', 'deny', 'relation'],
      [lawyer.id, 'caller:consent-withdraw', 'allow', 'scopes:service:legal'],
    ]);
    // Another contact's entries are its own.
    expect((await find('contact', contacts[1])).map((e) => e.seq)).not.toContain(contact[0].seq);
  });

  it('each search is itself audited, and names the record no more than the rest', async () => {
    const [{ searches }] = await env.db.query(
      `SELECT count(*)::int AS searches FROM audit_entries WHERE action = 'audit.search' AND actor_id IS NULL`,
    );
    expect(searches).toBeGreaterThanOrEqual(4);
    const text = await dump();
    expect([...contacts, ...cases, ...callers].filter((id) => text.includes(id))).toEqual([]);
  });

  it('entries written before pseudonyms (an upgraded installation) are found too, marked plain', async () => {
    // What the version before this one wrote: the contact's id itself.
    const contactId = contacts[5];
    await env.db.query(
      `INSERT INTO audit_entries (actor_id, action, record_type, record_id, outcome)
       VALUES ($1, 'contact:create', 'contact', $2, 'allow')`,
      [volunteer.id, contactId],
    );
    const found = await find('contact', contactId);
    expect(found.map((e) => e.reference)).toEqual(['pseudonym', 'plain']);
    const text = await runApp(
      'cli',
      ['audit', 'find', '--record-type', 'contact', '--record-id', contactId],
      env.env,
    );
    expect(text.stdout).toMatch(new RegExp(`^3 entries about contact ${contactId}\\n`));
    expect(text.stdout).toContain('(plain id)');
    expect((await runApp('cli', ['verify-audit'], env.env)).code).toBe(0);
  });
});
