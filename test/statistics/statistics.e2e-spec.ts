import { INestApplicationContext } from '@nestjs/common';
import { VolunteerLinkExpiry } from '@mayak/contacts';
import { RetentionService } from '@mayak/retention';
import {
  canonical,
  chooseCuboid,
  CUBOIDS,
  Dimension,
  DIMENSION,
  DIMENSIONS,
  PERIODS,
  StatisticsService,
  StatsQuery,
  StatsRollupService,
} from '@mayak/statistics';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  RunningApi,
  runApp,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('statistics', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let volunteer: TestUser;
  let volunteerToken: string;
  let coordinatorToken: string;

  beforeAll(async () => {
    env = await createTestEnvironment({ STATS_TIMEZONE: 'Europe/Moscow' });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    volunteer = await createUser(api.app, ['volunteer']);
    volunteerToken = await signIn(http, volunteer);
    coordinatorToken = await signIn(http, await createUser(api.app, ['coordinator']));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  const stats = (query: string, token = coordinatorToken, headers: Record<string, string> = {}) =>
    http.get(`/api/stats?${query}`, { token, headers });

  async function logContacts(
    n: number,
    overrides: (i: number) => Record<string, unknown>,
  ): Promise<Array<{ id: string; callerId: string }>> {
    const out: Array<{ id: string; callerId: string }> = [];
    for (let i = 0; i < n; i++) {
      const r = await http.post('/api/contacts', contactBody({ services: [], ...overrides(i) }), {
        token: volunteerToken,
      });
      expect(r.status).toBe(201);
      out.push(r.body);
    }
    return out;
  }

  it("counts cases by their call's day, though the clear keeps only the case's week", async () => {
    // A Thursday and the Saturday after it, in a week no other test logs in (300 days back).
    const base = new Date(Date.now() - 300 * DAY);
    const thursday = dateOf(base.getTime() + ((4 - base.getUTCDay() + 7) % 7) * DAY);
    const saturday = dateOf(Date.parse(thursday) + 2 * DAY);
    const consent = {
      scopes: ['statistics', 'service:legal'],
      textVersion: '2026-01',
      retentionDays: 365,
    };
    await logContacts(3, () => ({
      startedAt: `${thursday}T09:00:00Z`,
      services: ['legal'],
      consent,
    }));
    await logContacts(2, () => ({
      startedAt: `${saturday}T09:00:00Z`,
      services: ['legal'],
      consent,
    }));
    // Every plaintext time of the cases is their call's week, as the contact's is (logged
    // today, a year after the call: the week of logging would differ).
    const times: Array<{ same: boolean }> = await env.db.query(
      `SELECT DISTINCT (c.created_at = (ct.week::timestamp AT TIME ZONE $2)
                        AND c.updated_at = c.created_at AND c.due_at = c.created_at) AS same
         FROM cases c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.week = $1::date`,
      [dateOf(Date.parse(thursday) - 3 * DAY), env.config.STATS_TIMEZONE],
    );
    expect(times).toEqual([{ same: true }]);
    const byDay = await api.app.get(StatisticsService).compute(
      {
        from: dateOf(Date.parse(thursday) - 3 * DAY),
        to: dateOf(Date.parse(thursday) + 3 * DAY),
        period: 'day',
        measure: 'cases',
        groupBy: ['service'],
        filters: {},
      },
      { unprotected: true },
    );
    expect(byDay.rows).toEqual([
      { period: thursday, service: 'legal', count: 3 },
      { period: saturday, service: 'legal', count: 2 },
    ]);
  });

  it('is for coordinators only: volunteers, lawyers and admins get 403', async () => {
    for (const roles of [['volunteer'], ['lawyer'], ['admin']] as const) {
      const token = await signIn(http, await createUser(api.app, [...roles]));
      const response = await stats('from=2026-01-01&to=2026-12-31&period=month', token);
      expect({ roles, status: response.status }).toEqual({ roles, status: 403 });
    }
    expect((await stats('from=2026-01-01&to=2026-12-31&period=month')).status).toBe(200);
  });

  it('says which time zone its days, weeks, months and quarters are counted in (STATS_TIMEZONE)', async () => {
    for (const query of [
      'from=2026-01-01&to=2026-01-31&period=day',
      'from=2026-01-01&to=2026-03-31&period=quarter&groupBy=region',
      'from=2026-01-01&to=2026-03-31&period=month&measure=cases&groupBy=status',
    ]) {
      const answer = await stats(query);
      expect({ query, status: answer.status, timeZone: answer.body.timeZone }).toEqual({
        query,
        status: 200,
        timeZone: 'Europe/Moscow',
      });
    }
  });

  it('a contact without statistics consent adds to the plain total and to no breakdown, and is reported as left out', async () => {
    const day = dateOf(Date.now() - 40 * DAY);
    const month = day.slice(0, 7);
    const at = `${day}T09:00:00Z`;
    const consented = { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 365 };
    const withheld = { scopes: [], textVersion: '2026-01', retentionDays: 365 };
    await logContacts(12, () => ({ startedAt: at, region: 'RU-TOM', consent: consented }));
    await logContacts(10, () => ({ startedAt: at, region: 'RU-TOM', consent: withheld }));
    await worker.get(StatsRollupService).incremental();

    const plain = await stats(`from=${day}&to=${day}&period=day`);
    expect(plain.body.rows).toEqual([{ period: day, count: 22 }]);
    expect(plain.body.excludedWithoutConsent).toBe(0);
    // Breakdowns are by month: the month's only contacts are these.
    const byRegion = await stats(`from=${day}&to=${day}&period=month&groupBy=region`);
    expect(byRegion.body.rows).toEqual([{ period: month, region: 'RU-TOM', count: 12 }]);
    expect(byRegion.body.excludedWithoutConsent).toBe(10);
    // All the month's contacts left out, whatever the filter: it breaks down no one.
    const filtered = await stats(`from=${day}&to=${day}&period=month&region=RU-SPE`);
    expect(filtered.body.excludedWithoutConsent).toBe(10);
  });

  it('no released cell lies between 1 and k−1, and a small cell that totals would give away takes its table with it', async () => {
    const day = dateOf(Date.now() - 50 * DAY);
    const at = `${day}T12:00:00Z`;
    const consent = { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 365 };
    await logContacts(30, (i) => ({
      startedAt: at,
      region: i < 20 ? 'RU-SPE' : 'RU-MOW',
      topics: ['detention'],
      consent,
    }));
    await logContacts(3, () => ({ startedAt: at, region: 'RU-CE', topics: ['violence'], consent }));
    await worker.get(StatsRollupService).incremental();
    // Breakdowns are by month; this month also holds the contacts of the test before.
    const month = day.slice(0, 7);
    const response = await stats(`from=${day}&to=${day}&period=month&groupBy=region,topic`);
    expect(response.status).toBe(200);
    expect(response.body.k).toBe(10);
    for (const row of response.body.rows)
      if (row.count !== null) expect(row.count === 0 || row.count >= 10).toBe(true);
    expect(response.body.rows).toContainEqual({
      period: month,
      region: 'RU-CE',
      topic: 'violence',
      count: null,
      suppressed: true,
    });
    expect(
      response.body.rows.filter((r: { suppressed?: boolean }) => r.suppressed).length,
    ).toBeGreaterThanOrEqual(2);

    const csv = await stats(`from=${day}&to=${day}&period=month&groupBy=region,topic&format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text).toContain(`${month},RU-CE,violence,<10,true`);
    const negotiated = await stats(
      `from=${day}&to=${day}&period=month&groupBy=region`,
      coordinatorToken,
      { accept: 'text/csv' },
    );
    expect(negotiated.text.split('\r\n')[0]).toBe('period,region,count,suppressed');
  });

  it('bad queries are 400s that name the parameter', async () => {
    const response = await stats(
      'from=2026-02-30&to=2026-01-01&period=fortnight&groupBy=region,shoeSize&colour=red',
    );
    expect(response.status).toBe(400);
    // 2026-02-30 is not a day of the calendar: named too.
    expect(Object.keys(response.body.fields).sort()).toEqual([
      'from',
      'groupBy',
      'period',
      'query',
    ]);
    const range = await stats('from=2020-01-01&to=2026-01-01&period=day');
    expect(range.status).toBe(400);
    expect(range.body.fields).toHaveProperty('to');
  });

  it('new contacts reach the rollups through the outbox within seconds', async () => {
    const day = dateOf(Date.now() - 60 * DAY);
    await logContacts(10, () => ({
      startedAt: `${day}T08:00:00Z`,
      consent: { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 365 },
    }));
    const response = await eventually(
      'the rollup job',
      async () => {
        const r = await stats(`from=${day}&to=${day}&period=day`);
        return r.body.rows[0]?.count === 10 ? r : undefined;
      },
      15_000,
      200,
    );
    expect(response.body.rows).toEqual([{ period: day, count: 10 }]);
  });

  it('remembers an answer only while its months’ rollups stay as they were, in every API process', async () => {
    const day = dateOf(Date.now() - 200 * DAY);
    const query = `from=${day}&to=${day}&period=month&groupBy=channel,outcome`;
    const row = (count: number) => [
      { period: day.slice(0, 7), channel: 'phone', outcome: 'referred', count },
    ];
    const other = await startApi(env);
    try {
      const otherHttp = new HttpClient(other.url);
      const dayTotal = (count: number) =>
        eventually(
          'the rollup job',
          async () => {
            const r = await stats(`from=${day}&to=${day}&period=day`);
            return r.body.rows[0]?.count === count ? r : undefined;
          },
          15_000,
          200,
        );
      await logContacts(10, () => ({ startedAt: `${day}T08:00:00Z` }));
      await dayTotal(10);
      // Asked twice of each process: the second answer of each is the remembered one.
      for (const client of [http, otherHttp, http, otherHttp]) {
        const r = await client.get(`/api/stats?${query}`, { token: coordinatorToken });
        expect(r.body.rows).toEqual(row(10));
      }
      await logContacts(10, () => ({ startedAt: `${day}T09:00:00Z` }));
      await dayTotal(20);
      // The month's rollup row is at a new version: neither process answers from memory.
      for (const client of [http, otherHttp]) {
        const r = await client.get(`/api/stats?${query}`, { token: coordinatorToken });
        expect(r.body.rows).toEqual(row(20));
      }
    } finally {
      await other.close();
    }
  });

  it('the rollups agree with counting the contacts after a random mix of intakes, withdrawals and erasures', async () => {
    const random = prng(20261121);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const regions = ['RU-MOW', 'RU-MOW', 'RU-MOW', 'RU-SPE', 'RU-SPE', 'RU-KDA', 'RU-TA', 'RU-CE'];
    const topics = ['detention', 'violence', 'family', 'health', 'housing'];
    const logged = await logContacts(160, () => ({
      // Late evening UTC is the next day in Moscow: day boundaries are in STATS_TIMEZONE.
      startedAt: new Date(
        Date.now() - Math.floor(random() * 120) * DAY - Math.floor(random() * 24) * 3_600_000,
      ).toISOString(),
      channel: pick(['phone', 'chat', 'messenger']),
      region: pick(regions),
      topics: random() < 0.15 ? [] : [...new Set([pick(topics), pick(topics)])],
      outcome: pick(['information_given', 'referred', 'escalated']),
      immediateRisk: random() < 0.1,
      caller: {
        ageBand: random() < 0.2 ? undefined : pick(['18-24', '25-34', '35-44']),
        genderIdentity: pick(['woman', 'man', 'non_binary']),
      },
      services: random() < 0.5 ? ['legal'] : [],
      consent: {
        scopes: [...(random() < 0.8 ? ['statistics'] : []), 'service:legal'],
        textVersion: '2026-01',
        // Counted from the call's week: longer than the oldest call here (130 days).
        retentionDays: random() < 0.2 ? 200 : 365,
      },
    }));
    const service = worker.get(StatsRollupService);
    await service.incremental();
    // Withdrawals of statistics consent.
    for (const contact of logged.filter(() => random() < 0.12)) {
      const r = await http.post(
        `/api/callers/${contact.callerId}/consent/withdraw`,
        { scopes: ['statistics'] },
        { token: volunteerToken },
      );
      expect(r.status).toBe(200);
    }
    await service.incremental();
    const statistics = api.app.get(StatisticsService);
    const from = dateOf(Date.now() - 130 * DAY);
    const to = dateOf(Date.now());
    const queries: StatsQuery[] = PERIODS.flatMap((period) =>
      CUBOIDS.map((cuboid) => ({
        from,
        to,
        period: period === 'day' ? 'week' : period,
        measure: 'contacts' as const,
        groupBy: [...cuboid],
        filters: {},
      })),
    );
    const filtered: StatsQuery = {
      from,
      to,
      period: 'month',
      measure: 'contacts',
      groupBy: ['region'],
      filters: { service: ['legal'] },
    };
    // And random breakdowns, filtered or not, of those the rollups answer (a query no cuboid
    // covers is counted from the contacts, which after retention no longer has them all).
    const randomQueries: StatsQuery[] = [];
    while (randomQueries.length < 120) {
      const groupBy = DIMENSIONS.filter(() => random() < 0.25).slice(0, 3);
      const filters: StatsQuery['filters'] = {};
      for (const d of DIMENSIONS.filter(() => random() < 0.2)) {
        if (DIMENSION[d].multiValued && groupBy.includes(d)) continue;
        const values = DIMENSION[d].values.filter(() => random() < 0.3);
        if (values.length)
          filters[d] = values.slice(0, DIMENSION[d].multiValued ? 1 : 1 + Math.floor(random() * 3));
      }
      if (!chooseCuboid(canonical([...groupBy, ...(Object.keys(filters) as Dimension[])])))
        continue;
      randomQueries.push({
        from,
        to,
        period: pick(PERIODS),
        measure: 'contacts',
        groupBy,
        filters,
      });
    }
    const answer = async (query: StatsQuery, source: 'rollup' | 'contacts') => {
      const result = await statistics.compute(query, { source, unprotected: true });
      return {
        groupBy: query.groupBy,
        period: query.period,
        rows: result.rows,
        excluded: result.excludedWithoutConsent,
      };
    };
    // The truth, counted straight from the contacts while all of them are still there.
    const all = [...queries, filtered, ...randomQueries];
    // One at a time: counting the contacts reads them a month at a time, and a few hundred
    // such answers at once would wait on the pool longer than it lets them.
    const answerAll = async (source: 'rollup' | 'contacts') => {
      const answers = [];
      for (const query of all) answers.push(await answer(query, source));
      return answers;
    };
    const truth = await answerAll('contacts');
    const viaRollups = () => answerAll('rollup');
    expect(await viaRollups()).toEqual(truth);
    expect(truth.reduce((n, t) => n + t.rows.length, 0)).toBeGreaterThan(1_000);

    // Retention deletes some contacts outright: the aggregates keep them, through the
    // incremental run and the nightly rebuild from scratch alike.
    const expiring = logged.filter(() => random() < 0.1).map((c) => c.id);
    await env.db.query(
      `UPDATE contacts SET expires_at = now() - interval '1 day' WHERE id = ANY($1::uuid[])`,
      [expiring],
    );
    // (Every one is erased; those with a case still open are deleted once it closes.)
    const swept = await worker.get(RetentionService).sweep();
    expect(swept.contacts).toBe(expiring.length);
    expect(swept.deleted.contacts).toBeGreaterThan(0);
    await service.incremental();
    expect(await viaRollups()).toEqual(truth);
    await service.full();
    expect(await viaRollups()).toEqual(truth);
  }, 120_000);
});

describe('statistics: the four-way report, released from each month’s cover', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let token: string;

  beforeAll(async () => {
    // About 3,000 contacts a month: a sparse four-way table (1,600 cells, mostly 0s and 1s).
    env = await createTestEnvironment();
    const seeded = await runApp(
      'cli',
      ['seed', '--contacts', '20000', '--days', '200', '--seed', '7'],
      env.env,
      '',
      120_000,
    );
    expect(seeded.code).toBe(0);
    api = await startApi(env);
    http = new HttpClient(api.url);
    token = await signIn(http, await createUser(api.app, ['coordinator']));
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const from = dateOf(Date.now() - 180 * DAY);
  const to = dateOf(Date.now());

  type Row = { period: string; count: number | null; [dimension: string]: unknown };
  const FOUR = ['channel', 'outcome', 'ageBand', 'genderIdentity'];

  it('is seeded as the worker would leave it: no volunteer link past its window is left to forget', async () => {
    const [{ unlinked, consents }] = await env.db.query(
      `SELECT (SELECT count(*) FROM contacts WHERE volunteer_id IS NULL)::int AS unlinked,
              (SELECT count(*) FROM consents WHERE recorded_by IS NULL)::int AS consents`,
    );
    // 200 days of contacts: all but the last window's are past it.
    expect(unlinked).toBeGreaterThan(19_000);
    expect(consents).toBe(unlinked);
    const forgotten = await api.app.get(VolunteerLinkExpiry).forgetExpired();
    expect([forgotten.contacts, forgotten.consents]).toEqual([0, 0]);
  });

  it('is released, nothing withheld, and its levels agree with each other', async () => {
    const query = `from=${from}&to=${to}&period=quarter&groupBy=${FOUR.join(',')}`;
    const fine = await http.get(`/api/stats?${query}`, { token });
    expect(fine.status).toBe(200);
    expect(fine.body.withheldPeriods).toEqual([]);
    const rows: Row[] = fine.body.rows;
    const released = rows.filter((r) => r.count !== null);
    expect(released.length).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(released.length);
    for (const row of released) expect(row.count!).toBeGreaterThanOrEqual(10);
    // Asked again, the same answer (the plan is remembered, not re-planned differently).
    const again = await http.get(`/api/stats?${query}`, { token });
    expect(again.body).toEqual(fine.body);
    // A coarser level of the same cover: every released value is the true count, and a
    // filter picks rows of the same table.
    const twoWay = await http.get(
      `/api/stats?from=${from}&to=${to}&period=quarter&groupBy=channel,outcome`,
      { token },
    );
    expect(twoWay.status).toBe(200);
    expect(twoWay.body.withheldPeriods).toEqual([]);
    const truthOf = async (groupBy: string[]) => {
      const truth = await api.app.get(StatisticsService).compute(
        {
          from,
          to,
          period: 'quarter',
          measure: 'contacts',
          groupBy: groupBy as never,
          filters: {},
        },
        { unprotected: true },
      );
      const key = (r: Row) => [r.period, ...groupBy.map((d) => r[d])].join('/');
      return { key, counts: new Map(truth.rows.map((r) => [key(r), r.count])) };
    };
    for (const [answer, groupBy] of [
      [rows, FOUR],
      [twoWay.body.rows as Row[], ['channel', 'outcome']],
    ] as const) {
      const truth = await truthOf([...groupBy]);
      let compared = 0;
      for (const row of answer)
        if (row.count !== null) {
          expect({ row, count: truth.counts.get(truth.key(row)) }).toEqual({
            row,
            count: row.count,
          });
          compared++;
        }
      expect(compared).toBeGreaterThan(0);
    }
    const phone = await http.get(
      `/api/stats?from=${from}&to=${to}&period=quarter&groupBy=outcome&channel=phone`,
      { token },
    );
    expect(phone.status).toBe(200);
    expect(phone.body.rows).toEqual(
      (twoWay.body.rows as Row[])
        .filter((r) => r.channel === 'phone')
        .map(({ channel: _, ...row }) => row),
    );
  });

  it('refuses to mix two of its dimensions with any other, with a 400 that says why', async () => {
    const mixed = await http.get(
      `/api/stats?from=${from}&to=${to}&period=quarter&groupBy=channel,outcome,region`,
      { token },
    );
    expect(mixed.status).toBe(400);
    expect(JSON.stringify(mixed.body)).toContain('groupBy');
    const filtered = await http.get(
      `/api/stats?from=${from}&to=${to}&period=month&groupBy=channel,outcome&region=RU-MOW`,
      { token },
    );
    expect(filtered.status).toBe(400);
  });

  it('a coarse breakdown of the same data is protected as usual, nothing withheld', async () => {
    const coarse = await http.get(
      `/api/stats?from=${from}&to=${to}&period=quarter&groupBy=channel`,
      {
        token,
      },
    );
    expect(coarse.status).toBe(200);
    expect(coarse.body.withheldPeriods).toEqual([]);
    expect(coarse.body.rows.some((r: { count: number | null }) => (r.count ?? 0) >= 10)).toBe(true);
  });
});
