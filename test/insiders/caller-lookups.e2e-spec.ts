import { AuditSearch, CALLER_NUMBER_RECORD } from '@mayak/audit';
import { KeyedHash } from '@mayak/platform';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  runApp,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

const LIMIT = 5;

/**
 * An insider with a volunteer's account walks a list of phone numbers through "has this
 * number called before?" (issue 12.2). Each account gets CALLER_LOOKUPS_PER_HOUR a clock
 * hour; using them up tells every coordinator who it was; every lookup and refusal is in
 * the audit trail under a keyed pseudonym of the number, which an investigator with the keys
 * can find and a seizure cannot read.
 */
describe('caller lookups by one account', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let insider: TestUser;
  const tokens: Record<string, string> = {};
  let coordinators: TestUser[];

  beforeAll(async () => {
    env = await createTestEnvironment({ CALLER_LOOKUPS_PER_HOUR: String(LIMIT) });
    api = await startApi(env);
    http = new HttpClient(api.url);
    insider = await createUser(api.app, ['volunteer']);
    const colleague = await createUser(api.app, ['volunteer']);
    coordinators = [
      await createUser(api.app, ['coordinator']),
      await createUser(api.app, ['coordinator']),
    ];
    for (const user of [insider, colleague, ...coordinators])
      tokens[user.id] = await signIn(http, user);
    tokens.colleague = tokens[colleague.id];
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const lookup = (token: string, identifier: string) =>
    http.post<{ previousContacts?: number; error?: string; message?: string }>(
      '/api/callers/lookup',
      { identifier },
      { token },
    );

  it('answers CALLER_LOOKUPS_PER_HOUR an hour, then 429; the coordinators learn who; others are unaffected', async () => {
    const known = contactBody().caller.identifier as string;
    expect(
      (
        await http.post('/api/contacts', contactBody({ caller: { identifier: known } }), {
          token: tokens.colleague,
        })
      ).status,
    ).toBe(201);

    const numbers = [known, ...Array.from({ length: LIMIT + 1 }, (_, i) => `+7900000${1000 + i}`)];
    const answers = [];
    for (const number of numbers) answers.push(await lookup(tokens[insider.id], number));
    expect(answers.map((a) => a.status)).toEqual([...Array<number>(LIMIT).fill(200), 429, 429]);
    expect(answers[0].body.previousContacts).toBe(1);
    expect(answers[LIMIT].body).toMatchObject({
      statusCode: 429,
      error: 'too_many_lookups',
      message: expect.stringMatching(new RegExp(`At most ${LIMIT} caller lookups an hour`)),
    });
    // The refusal names no number.
    expect(JSON.stringify(answers[LIMIT].body)).not.toContain('+7900000');

    // Another account is not limited by the insider's lookups.
    expect((await lookup(tokens.colleague, known)).status).toBe(200);

    // Every coordinator is told once, when the hour's last lookup was used, naming the
    // account, however many refusals follow.
    for (const coordinator of coordinators) {
      const list = await http.get<Array<{ type: string; aboutUserId: string | null }>>(
        '/api/notifications',
        { token: tokens[coordinator.id] },
      );
      expect(list.body.filter((n) => n.type === 'lookup_burst')).toEqual([
        expect.objectContaining({ type: 'lookup_burst', aboutUserId: insider.id, caseId: null }),
      ]);
    }
  });

  it('each lookup and refusal is audited under a keyed pseudonym of the number, and found again with the keys', async () => {
    const known = '+79001112233';
    await lookup(tokens.colleague, known);
    const entries: Array<Record<string, unknown>> = await env.db.query(
      `SELECT actor_id, action, record_type, record_id, outcome, reason FROM audit_entries
        WHERE action = 'caller:lookup' ORDER BY seq`,
    );
    const insiders = entries.filter((e) => e.actor_id === insider.id);
    // The role allows each lookup; past the limit, the hourly count refuses it.
    const expected: Array<[string, string | null]> = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      expected.push(['allow', null]);
      if (i >= LIMIT) expected.push(['deny', 'rate_limited']);
    }
    expect(insiders.map((e) => [e.outcome, e.reason])).toEqual(expected);
    // No number, nor its unkeyed digits, in any entry.
    const seized = JSON.stringify(await env.db.query(`SELECT * FROM audit_entries`));
    expect(seized).not.toContain('79001112233');
    expect(seized).not.toContain('+7900000');
    const hash = api.app.get(KeyedHash).callerIdentifiers(known)[0].hash.toString('hex');
    expect(seized).not.toContain(hash);
    for (const e of entries) expect(e.record_type).toBe(CALLER_NUMBER_RECORD);

    // With the keys, an investigator finds the lookups of one number (and the search is
    // itself audited, under the same pseudonym).
    const printed = await runApp('cli', ['audit', 'find', '--caller-number', known], env.env);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^1 entry about caller_number/);
    expect(printed.stdout).toMatch(/caller:lookup {2}allow/);
    expect(printed.stdout).not.toContain('79001112233');
    const found = await api.app.get(AuditSearch).about(CALLER_NUMBER_RECORD, hash, 100);
    expect(found.map((f) => [f.action, f.outcome])).toEqual([
      ['caller:lookup', 'allow'],
      ['audit.search', 'success'],
    ]);
  });
});
