import { AuditReferences, CALLER_NUMBER_RECORD } from '@mayak/audit';
import { AppConfig, KeyedHash, statsDayOf } from '@mayak/platform';
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

const DAY = 86_400_000;

/**
 * A volunteer on a call types the caller's number and sees the caller's earlier contacts
 * (issue 13.4): the day, the services and the outcome of each, as far as the consent given on
 * each still allows; never a summary, a profile, topics or a time of day.
 */
describe('a caller’s earlier contacts at intake', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  const users: Record<string, TestUser> = {};
  const tokens: Record<string, string> = {};
  const phone = '+79007770011';
  const started: Date[] = [];

  const log = async (overrides: Record<string, unknown>) => {
    const response = await http.post(
      '/api/contacts',
      contactBody({ caller: { ...contactBody().caller, identifier: phone }, ...overrides }),
      { token: tokens.first },
    );
    expect(response.status).toBe(201);
    return response.body.id as string;
  };
  const withdraw = (contactId: string, scopes: string[], erase = false) =>
    env.db
      .query(`UPDATE consents SET withdrawn_scopes = $2 WHERE contact_id = $1;`, [
        contactId,
        scopes,
      ])
      .then(() =>
        erase
          ? env.db.query(
              `UPDATE contacts SET dek_wrapped = NULL, summary_enc = NULL, pseudonym_enc = NULL, erased_at = created_at WHERE id = $1`,
              [contactId],
            )
          : undefined,
      );

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    for (const [name, roles] of [
      ['first', ['volunteer']],
      ['second', ['volunteer']],
      ['lawyer', ['lawyer']],
      ['coordinator', ['coordinator']],
    ] as const) {
      users[name] = await createUser(api.app, [...roles]);
      tokens[name] = await signIn(http, users[name]);
    }
    const now = Date.now();
    for (const days of [4, 3, 2, 1]) started.push(new Date(now - days * DAY));
    // Legal and psychological help, both consented to.
    await log({
      startedAt: started[0].toISOString(),
      services: ['legal', 'psych'],
      consent: {
        scopes: ['service:legal', 'service:psych', 'statistics'],
        textVersion: '2026-01',
        retentionDays: 365,
      },
      outcome: 'referred',
    });
    // Information only, with statistics consent.
    await log({
      startedAt: started[1].toISOString(),
      services: [],
      consent: { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 365 },
      outcome: 'information_given',
    });
    // Legal and psychological help; psychological consent withdrawn since.
    const partly = await log({
      startedAt: started[2].toISOString(),
      services: ['legal', 'psych'],
      consent: {
        scopes: ['service:legal', 'service:psych'],
        textVersion: '2026-01',
        retentionDays: 365,
      },
      outcome: 'escalated',
    });
    await withdraw(partly, ['service:psych']);
    // Everything withdrawn and erased: not shown at all.
    const gone = await log({
      startedAt: started[3].toISOString(),
      services: ['legal'],
      consent: { scopes: ['service:legal'], textVersion: '2026-01', retentionDays: 365 },
    });
    await withdraw(gone, ['service:legal'], true);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const lookup = (who: string, identifier: string) =>
    http.post<Record<string, any>>('/api/callers/lookup', { identifier }, { token: tokens[who] });

  it('shows another volunteer each earlier contact’s day, consented services and outcome, newest first', async () => {
    const response = await lookup('second', '8 900 777-00-11');
    expect(response.status).toBe(200);
    const day = (d: Date) => statsDayOf(d, api.app.get(AppConfig).STATS_TIMEZONE);
    expect(response.body).toEqual({
      previousContacts: 4,
      earlierContacts: [
        { date: day(started[2]), services: ['legal'], outcome: 'escalated' },
        { date: day(started[1]), services: [], outcome: 'information_given' },
        { date: day(started[0]), services: ['legal', 'psych'], outcome: 'referred' },
      ],
      hiddenContacts: 1,
    });
    // A day, never a time; nothing of the contacts' content.
    const text = JSON.stringify(response.body);
    expect(text).not.toMatch(/T\d{2}:\d{2}/);
    for (const secret of ['Anna', 'Detained', 'detention', 'lesbian', '25-34'])
      expect(text).not.toContain(secret);
  });

  it('a number that never called has no history', async () => {
    const response = await lookup('second', '+79007770099');
    expect(response.body).toEqual({ previousContacts: 0, earlierContacts: [], hiddenContacts: 0 });
  });

  it('is the volunteers’ alone: other roles are refused', async () => {
    for (const who of ['lawyer', 'coordinator']) {
      const response = await lookup(who, phone);
      expect({ who, status: response.status }).toEqual({ who, status: 403 });
      expect(JSON.stringify(response.body)).not.toContain('earlierContacts');
    }
  });

  it('is audited under the number’s keyed pseudonym, without how many contacts it showed', async () => {
    await lookup('second', phone);
    const hash = api.app.get(KeyedHash).callerIdentifiers(phone)[0].hash.toString('hex');
    const entries = await env.db.query(
      `SELECT outcome, reason, record_type FROM audit_entries
        WHERE actor_id = $1 AND action = 'caller:history' AND record_id = $2 ORDER BY seq`,
      [users.second.id, api.app.get(AuditReferences).of(CALLER_NUMBER_RECORD, hash)],
    );
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(entries.at(-1)).toEqual({
      outcome: 'allow',
      // A count beside the number would say how often the caller called.
      reason: null,
      record_type: CALLER_NUMBER_RECORD,
    });
  });
});
