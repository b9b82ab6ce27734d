import { INestApplicationContext } from '@nestjs/common';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  recordFinishedJobs,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';
import Redis from 'ioredis';

const SLA_SECONDS = 3;

/**
 * The attacker's view of the job machinery: every outbox row as SELECT * returns it, and every
 * key and value Redis holds under the installation's prefix (job hashes, lists, sorted sets,
 * event streams). Joined with the telephone records by time, a job that names its case or its
 * kind ("page-responders at 14:03:07") attaches the emergency to a caller. Neither may name a
 * case, a contact, a service or a kind of job, nor set a timer apart by its times.
 */
describe('a seizure of the outbox and of Redis', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext | undefined;
  let http: HttpClient;
  const people: Record<string, TestUser> = {};
  const token: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnvironment({
      EMERGENCY_ACK_TIMEOUT_SECONDS: String(SLA_SECONDS),
      OUTBOX_SWEEP_AFTER_SECONDS: '30',
    });
    await recordFinishedJobs((sql, params) => env.db.query(sql, params));
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    for (const [name, roles] of [
      ['volunteer', ['volunteer']],
      ['coordinator', ['coordinator']],
      ['lawyer', ['lawyer']],
      // Two legal cases are routed at once; routing skips a colleague whose row the other
      // routing holds, so with one lawyer one case could stay in the pool.
      ['lawyer2', ['lawyer']],
      ['psychologist', ['psychologist']],
      ['tier1', ['responder']],
      ['tier2', ['responder']],
      ['tier3', ['coordinator']],
    ] as const) {
      people[name] = await createUser(api.app, [...roles]);
      token[name] = await signIn(http, people[name]);
    }
    for (const name of ['lawyer', 'lawyer2', 'psychologist'])
      expect(
        (
          await http.put(
            '/api/staff/me/availability',
            { onShift: true, capacity: 10, regions: [] },
            { token: token[name] },
          )
        ).status,
      ).toBe(200);
    const now = Date.now();
    for (const [name, tier] of [
      ['tier1', 1],
      ['tier2', 2],
      ['tier3', 3],
    ] as const)
      expect(
        (
          await http.post(
            '/api/rota/shifts',
            {
              userId: people[name].id,
              tier,
              startsAt: new Date(now - 3_600_000).toISOString(),
              endsAt: new Date(now + 3_600_000).toISOString(),
            },
            { token: token.coordinator },
          )
        ).status,
      ).toBe(201);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  /** Every value as text an attacker can search: bytes both as they are and as hex. */
  const text = (value: unknown): string =>
    JSON.stringify(value, (_key, v: unknown) => {
      if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
        const bytes = Buffer.from((v as { data: number[] }).data);
        return `${bytes.toString('latin1')} ${bytes.toString('hex')}`;
      }
      return v;
    });

  /**
   * The outbox as SELECT * returns it, and every row already finished as it was when its job
   * deleted it (recordFinishedJobs): what a seizure a moment earlier would have found.
   */
  async function seizeOutbox(): Promise<Array<Record<string, unknown>>> {
    return env.db.query(`SELECT * FROM outbox_history ORDER BY id`);
  }

  /** Every key under the prefix, with its whole value, whatever its type. */
  async function seizeRedis(): Promise<string[]> {
    const redis = new Redis(env.config.REDIS_URL!, { maxRetriesPerRequest: 1 });
    try {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          `${env.config.QUEUE_PREFIX}:*`,
          'COUNT',
          1000,
        );
        for (const key of keys) {
          const type = await redis.type(key);
          const value: unknown =
            type === 'string'
              ? await redis.get(key)
              : type === 'hash'
                ? await redis.hgetall(key)
                : type === 'list'
                  ? await redis.lrange(key, 0, -1)
                  : type === 'set'
                    ? await redis.smembers(key)
                    : type === 'zset'
                      ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                      : type === 'stream'
                        ? await redis.xrange(key, '-', '+')
                        : type;
          found.push(`${key} ${text(value)}`);
        }
        cursor = next;
      } while (cursor !== '0');
      return found;
    } finally {
      redis.disconnect();
    }
  }

  async function idsOnRecord(): Promise<string[]> {
    const rows: Array<{ id: string }> = await env.db.query(
      `SELECT id::text AS id FROM cases UNION ALL SELECT id::text FROM contacts
       UNION ALL SELECT id::text FROM notifications`,
    );
    return rows.map((r) => r.id);
  }

  const WORDS = [
    'legal',
    'psych',
    'emergency',
    'routing',
    'check-ack',
    'page-responders',
    'route-case',
    'notify-assignee',
    'deliver-webhook',
    'caseId',
    'notificationId',
  ];

  function expectNothingNamed(seized: string[], ids: string[], where: string): void {
    const leaks: string[] = [];
    for (const item of seized) {
      const lower = item.toLowerCase();
      for (const id of ids) if (lower.includes(id)) leaks.push(`${where}: id ${id} in ${item}`);
      for (const word of WORDS)
        if (lower.includes(word.toLowerCase())) leaks.push(`${where}: '${word}' in ${item}`);
    }
    expect(leaks.slice(0, 10)).toEqual([]);
  }

  /**
   * No plaintext time sets a timer apart: every row reads written = due, done = sent. And none
   * is a call's time: each holds the day, a midnight in STATS_TIMEZONE (Europe/Moscow here).
   */
  function expectUniformTimes(rows: Array<Record<string, unknown>>): void {
    const ms = (v: unknown) => (v == null ? null : new Date(v as string).getTime());
    const odd = rows.filter(
      (r) =>
        ms(r.run_at) !== ms(r.created_at) || (r.done_at != null && ms(r.done_at) !== ms(r.sent_at)),
    );
    expect(odd).toEqual([]);
    const clock = (v: unknown) =>
      new Date(v as string).toLocaleTimeString('en-GB', {
        timeZone: 'Europe/Moscow',
        hour12: false,
      });
    const exact = rows.flatMap((r) =>
      ['created_at', 'run_at', 'sent_at', 'done_at']
        .filter((column) => r[column] != null && clock(r[column]) !== '00:00:00')
        .map((column) => `${column} ${clock(r[column])}`),
    );
    expect(exact).toEqual([]);
  }

  it('names no case, contact, service or kind of job, and no timer stands out by its times', async () => {
    // A caller who needs a lawyer, a psychologist and the emergency responders.
    const everything = await http.post(
      '/api/contacts',
      contactBody({
        immediateRisk: true,
        topics: ['violence'],
        consent: {
          scopes: ['service:legal', 'service:psych', 'service:emergency', 'statistics'],
          textVersion: '2026-01',
          retentionDays: 365,
        },
        services: ['legal', 'psych', 'emergency'],
      }),
      { token: token.volunteer },
    );
    expect(everything.status).toBe(201);
    const legalOnly = await http.post('/api/contacts', contactBody({ services: ['legal'] }), {
      token: token.volunteer,
    });
    expect(legalOnly.status).toBe(201);
    const [{ id: emergencyCase }]: Array<{ id: string }> = await env.db.query(
      `SELECT id FROM cases WHERE contact_id = $1 AND service = 'emergency'`,
      [everything.body.id],
    );

    // A page is on record with its SLA timer running: a delayed job in Redis, a row in the
    // outbox; the other cases routed (assigned, or left in the pool when routing found its
    // colleague's row busy), every other job done. The seizure is only a snapshot of a running
    // timer if that same page is still unbreached once both stores are read: on a loaded
    // machine the timer can fire mid-seizure, and then the climb's next page is seized instead.
    const runningPage = async (): Promise<string | undefined> => {
      const [row]: Array<{ page: string | null; assigned: number; unfinished: number }> =
        await env.db.query(
          `SELECT (SELECT min(tier || '/' || round) FROM emergency_pages WHERE case_id = $1 AND breached_at IS NULL
                     HAVING count(*) = 1) AS page,
                  (SELECT count(*)::int FROM cases WHERE service <> 'emergency' AND status = 'assigned') AS assigned,
                  (SELECT count(*)::int FROM outbox WHERE status IN ('pending', 'sent')) AS unfinished`,
          [emergencyCase],
        );
      return row.page && row.assigned >= 2 && row.unfinished === 1 ? row.page : undefined;
    };
    let early: Array<Record<string, unknown>>;
    let redisEarly: string[];
    for (let attempt = 1; ; attempt += 1) {
      let page: string | undefined;
      await eventually(
        'a page with its timer running, and the other cases routed',
        async () => (page = await runningPage()) !== undefined,
        15_000,
        10,
      );
      early = await seizeOutbox();
      redisEarly = await seizeRedis();
      if ((await runningPage()) === page) break;
      if (attempt === 3) throw new Error('every page was breached while it was being seized');
    }
    const ids = await idsOnRecord();
    expectNothingNamed(early.map(text), ids, 'outbox, timer running');
    expectUniformTimes(early);
    if (process.env.SHOW_SEIZURE) console.log(early.map(text).join('\n'), redisEarly.join('\n'));
    expectNothingNamed(redisEarly, ids, 'redis, timer running');
    // What was seized holds the jobs: the running timer is a delayed job in Redis.
    expect(
      redisEarly.filter((k) => /:delayed \["/.test(k) && !k.includes(':maintenance:')),
    ).toHaveLength(1);
    expect(early.length).toBeGreaterThanOrEqual(5);

    // Nobody acknowledges: the case climbs to tiers 2 and 3, a page and a timer each round.
    await eventually(
      'the climb to tier 3',
      async () =>
        (
          await env.db.query(`SELECT 1 FROM emergency_pages WHERE case_id = $1 AND tier = 3`, [
            emergencyCase,
          ])
        ).length === 1,
      4 * SLA_SECONDS * 1000 + 10_000,
      20,
    );
    await eventually(
      'the tier-2 and tier-3 pages to be done',
      async () =>
        (await env.db.query(`SELECT 1 FROM outbox WHERE status IN ('pending', 'sent')`)).length <=
        1,
      5_000,
      20,
    );
    const later = await seizeOutbox();
    const allIds = await idsOnRecord();
    expectNothingNamed(later.map(text), allIds, 'outbox, after the climb');
    expectUniformTimes(later);
    expectNothingNamed(await seizeRedis(), allIds, 'redis, after the climb');
    // The seizure saw what there was to see: jobs of every kind were written and finished,
    // at least a routing per service case, the first page, and a check-ack per breach.
    const [{ routed, breached }]: Array<{ routed: number; breached: number }> = await env.db.query(
      `SELECT (SELECT count(*)::int FROM cases WHERE service <> 'emergency') AS routed,
              (SELECT count(*)::int FROM emergency_pages WHERE breached_at IS NOT NULL) AS breached`,
    );
    expect(breached).toBeGreaterThanOrEqual(2);
    expect(later.filter((r) => r.status === 'done').length).toBeGreaterThanOrEqual(
      routed + 1 + breached,
    );
    // And the outbox itself kept none of them: a finished job deletes its row.
    expect(await env.db.query(`SELECT 1 FROM outbox WHERE status = 'done'`)).toEqual([]);
  }, 90_000);
});
