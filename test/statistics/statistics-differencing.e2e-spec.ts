import { INestApplicationContext } from '@nestjs/common';
import { StatsRollupService } from '@mayak/statistics';
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
import { LinearBounds } from './linear-bounds';

/*
 * An attacker with a coordinator's account (issue 12, point 3). It asks GET /api/stats many
 * overlapping questions about one quarter (every period level, filters that overlap, JSON and
 * CSV, the quarter and each of its months), writes down every linear constraint the answers
 * imply about the true counts (non-negative integers per day, region, channel and consent),
 * and for every suppressed value solves for its least and greatest possible value. A value
 * whose range closes on one integer is recovered. The attacker knows the API's rules as the
 * OpenAPI document states them; it knows nothing of how the answers are computed.
 */

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const REGIONS = ['RU-MOW', 'RU-SPE', 'RU-CE'] as const;
const CHANNELS = ['phone', 'chat'] as const;

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

/** The last whole calendar quarter before today: its first day and its days, as YYYY-MM-DD. */
function previousQuarter(): { months: string[][]; days: string[] } {
  const now = new Date();
  const thisQuarter = Date.UTC(
    now.getUTCFullYear(),
    now.getUTCMonth() - (now.getUTCMonth() % 3),
    1,
  );
  const start = new Date(thisQuarter);
  start.setUTCMonth(start.getUTCMonth() - 3);
  const days: string[] = [];
  for (let t = start.getTime(); t < thisQuarter; t += DAY) days.push(iso(t));
  const months = [0, 1, 2].map((i) => {
    const month = new Date(start);
    month.setUTCMonth(month.getUTCMonth() + i);
    const prefix = iso(month.getTime()).slice(0, 7);
    return days.filter((d) => d.startsWith(prefix));
  });
  return { months, days };
}

interface Unknown {
  day: string;
  region: string;
  channel: string;
  consented: boolean;
}

interface Question {
  from: string;
  to: string;
  period: 'day' | 'week' | 'month' | 'quarter';
  groupBy: Array<'region' | 'channel'>;
  filters: Partial<Record<'region' | 'channel', string[]>>;
  format: 'json' | 'csv';
}

/** ISO week label of a day, as the API labels weeks (2026-W41). */
function weekOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  const thursday = new Date(date.getTime() + (3 - ((date.getUTCDay() + 6) % 7)) * DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function periodOf(period: Question['period'], day: string): string {
  switch (period) {
    case 'day':
      return day;
    case 'week':
      return weekOf(day);
    case 'month':
      return day.slice(0, 7);
    case 'quarter':
      return `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;
  }
}

interface Released {
  rows: Array<{ period: string; key: Record<string, string>; count: number | null }>;
  excluded?: number | null;
  from: string;
  to: string;
}

function parseCsv(text: string, groupBy: readonly string[]): Released['rows'] {
  const [header, ...lines] = text.trim().split('\r\n');
  expect(header).toBe(['period', ...groupBy, 'count', 'suppressed'].join(','));
  return lines.map((line) => {
    const fields = line.split(',');
    const key = Object.fromEntries(groupBy.map((d, i) => [d, fields[1 + i]]));
    const suppressed = fields[fields.length - 1] === 'true';
    return {
      period: fields[0],
      key,
      count: suppressed ? null : Number(fields[groupBy.length + 1]),
    };
  });
}

describe('statistics cannot be differenced', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let coordinator: string;
  const quarter = previousQuarter();
  /** The true counts, per unknown. */
  const unknowns: Unknown[] = [];
  const truth: number[] = [];

  beforeAll(async () => {
    env = await createTestEnvironment({ STATS_TIMEZONE: 'Europe/Moscow' });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    const volunteer = await signIn(http, await createUser(api.app, ['volunteer']));
    coordinator = await signIn(http, await createUser(api.app, ['coordinator']));
    // Days around the second month's end (a week straddles it), and one in the first month:
    // busy Moscow, a middling St Petersburg, Chechnya now and then, and a few callers who
    // refuse statistics.
    const [first, second, third] = quarter.months;
    const days = [first[14], ...second.slice(-4), ...third.slice(0, 4)];
    const random = prng(12_3);
    const spread: Record<string, Record<string, [number, number]>> = {
      'RU-MOW': { phone: [6, 14], chat: [1, 6] },
      'RU-SPE': { phone: [1, 7], chat: [0, 3] },
      'RU-CE': { phone: [0, 2], chat: [0, 1] },
    };
    for (const day of quarter.days)
      for (const region of REGIONS)
        for (const channel of CHANNELS)
          for (const consented of [true, false]) {
            unknowns.push({ day, region, channel, consented });
            let n = 0;
            if (days.includes(day)) {
              const [lo, hi] = spread[region][channel];
              n = consented
                ? lo + Math.floor(random() * (hi - lo + 1))
                : region === 'RU-MOW' && random() < 0.5
                  ? 1
                  : 0;
            }
            truth.push(n);
            for (let i = 0; i < n; i++) {
              const r = await http.post(
                '/api/contacts',
                contactBody({
                  startedAt: `${day}T12:00:00Z`,
                  region,
                  channel,
                  services: [],
                  consent: {
                    scopes: consented ? ['statistics'] : [],
                    textVersion: '2026-01',
                    retentionDays: 365,
                  },
                }),
                { token: volunteer },
              );
              expect(r.status).toBe(201);
            }
          }
    await worker.get(StatsRollupService).incremental();
  }, 180_000);
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  /** Every question the attacker asks: overlapping filters, every period, JSON and CSV. */
  function questions(): Question[] {
    const from = quarter.days[0];
    const to = quarter.days[quarter.days.length - 1];
    const ranges = [
      { from, to },
      ...quarter.months.map((m) => ({ from: m[0], to: m[m.length - 1] })),
    ];
    const groupings: Question['groupBy'][] = [[], ['region'], ['channel'], ['region', 'channel']];
    const filters: Question['filters'][] = [
      {},
      { region: ['RU-MOW'] },
      { region: ['RU-CE'] },
      { region: ['RU-SPE'] },
      { region: ['RU-MOW', 'RU-CE'] },
      { region: ['RU-MOW', 'RU-SPE'] },
      { channel: ['phone'] },
      { channel: ['chat'] },
      { region: ['RU-SPE'], channel: ['chat'] },
    ];
    const all: Question[] = [];
    for (const range of ranges)
      for (const period of ['day', 'week', 'month', 'quarter'] as const)
        for (const groupBy of groupings)
          for (const filter of filters)
            for (const format of ['json', 'csv'] as const)
              if (format === 'json' || Object.keys(filter).length === 0)
                all.push({ ...range, period, groupBy, filters: filter, format });
    return all;
  }

  async function ask(q: Question): Promise<Released | undefined> {
    const params = new URLSearchParams({ from: q.from, to: q.to, period: q.period });
    if (q.groupBy.length) params.set('groupBy', q.groupBy.join(','));
    for (const [d, values] of Object.entries(q.filters)) params.set(d, values.join(','));
    if (q.format === 'csv') params.set('format', 'csv');
    const response = await http.get(`/api/stats?${params.toString()}`, { token: coordinator });
    // Refused questions answer nothing; anything but a 400 is a bug of its own.
    if (response.status === 400) return undefined;
    expect({ q, status: response.status }).toEqual({ q, status: 200 });
    if (q.format === 'csv') {
      // The whole periods the table covers are in its file name, as in the JSON's from and to.
      const [, from, to] = /-(\d{4}-\d{2}-\d{2})-(\d{4}-\d{2}-\d{2})\.csv/.exec(
        response.headers.get('content-disposition') ?? '',
      )!;
      return { rows: parseCsv(response.text, q.groupBy), from, to };
    }
    const body = response.body;
    return {
      rows: body.rows.map((row: Record<string, unknown>) => ({
        period: row.period,
        key: Object.fromEntries(q.groupBy.map((d) => [d, row[d]])),
        count: row.suppressed ? null : row.count,
      })),
      excluded: body.excludedWithoutConsent,
      from: body.from,
      to: body.to,
    };
  }

  const get = (query: string) => http.get(`/api/stats?${query}`, { token: coordinator });
  const quarterRange = () => `from=${quarter.days[0]}&to=${quarter.days[quarter.days.length - 1]}`;

  it('a filter takes one value: two answers that differ by one value are not both given', async () => {
    const response = await get(`${quarterRange()}&period=month&region=RU-MOW,RU-CE`);
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual({ region: [expect.stringMatching(/one value/)] });
    expect((await get(`${quarterRange()}&period=month&region=RU-MOW`)).status).toBe(200);
    // And the OpenAPI document says so, filter by filter.
    const document = await http.get('/api/docs/openapi.json');
    const parameters: Array<{ name: string; description?: string }> =
      document.body.paths['/api/stats'].get.parameters;
    for (const name of ['region', 'topic', 'service', 'status'])
      expect(parameters.find((p) => p.name === name)?.description).toMatch(/one .*More than one/s);
  });

  it('breakdowns and filtered counts are by month or quarter; days and weeks give the plain total', async () => {
    for (const query of ['groupBy=region', 'channel=phone'])
      for (const period of ['day', 'week']) {
        const response = await get(`${quarterRange()}&period=${period}&${query}`);
        expect({ query, period, status: response.status, fields: response.body.fields }).toEqual({
          query,
          period,
          status: 400,
          fields: { period: [expect.stringMatching(/month or quarter/)] },
        });
      }
    expect((await get(`${quarterRange()}&period=day`)).status).toBe(200);
  });

  it('a week is the sum of its released days, or suppressed: never a total the days do not give', async () => {
    const days = (await get(`${quarterRange()}&period=day`)).body.rows as Array<{
      period: string;
      count: number | null;
    }>;
    const weeks = (await get(`${quarterRange()}&period=week`)).body.rows as typeof days;
    expect(weeks.length).toBeGreaterThan(0);
    for (const week of weeks) {
      const parts = days.filter((d) => weekOf(d.period) === week.period);
      const sum = parts.some((d) => d.count === null)
        ? null
        : parts.reduce((n, d) => n + d.count!, 0);
      expect({ week: week.period, count: week.count }).toEqual({ week: week.period, count: sum });
    }
  });

  it('the count left out for want of consent ignores filters and is suppressed below k', async () => {
    const answers = await Promise.all(
      ['', '&region=RU-MOW', '&region=RU-CE', '&channel=chat', '&groupBy=region'].map((q) =>
        get(`${quarterRange()}&period=quarter${q || '&groupBy=channel'}`),
      ),
    );
    const excluded = answers.map((a) => a.body.excludedWithoutConsent);
    expect(new Set(excluded).size).toBe(1);
    const [value] = excluded;
    expect(value === null || value === 0 || value >= 10).toBe(true);
  });

  it("each released table's parameters, and no count, go to the audit trail", async () => {
    await get(`${quarterRange()}&period=quarter&groupBy=region&channel=phone&format=csv`);
    const [entry] = await env.db.query(
      `SELECT action, outcome, reason FROM audit_entries WHERE action = 'stats.release' AND reason LIKE '%channel=phone%' ORDER BY seq DESC LIMIT 1`,
    );
    expect(entry).toEqual({
      action: 'stats.release',
      outcome: 'success',
      reason: `measure=contacts period=quarter from=${quarter.days[0]} to=${quarter.days[quarter.days.length - 1]} groupBy=region filters=channel=phone`,
    });
  });

  it('no suppressed count is recovered by combining answers (filters, periods, JSON and CSV)', async () => {
    const lp = new LinearBounds(unknowns.length);
    // The attacker's model must hold for the truth, or its verdicts prove nothing.
    const wrong: string[] = [];
    /** Released counts between 1 and k − 1: disclosed without any arithmetic. */
    const small: string[] = [];
    const constrain = (name: string, terms: number[], lo: number, hi: number) => {
      const actual = terms.reduce((n, i) => n + truth[i], 0);
      if (actual < lo || actual > hi) wrong.push(`${name}: ${actual} not in [${lo}, ${hi}]`);
      if (lo === hi && lo > 0 && lo < 10) small.push(`${name} = ${lo}`);
      lp.constrain(terms, lo, hi);
    };
    const targets: Array<{ name: string; terms: number[] }> = [];
    let answered = 0;
    const filtersCountExcluded = process.env.ATTACK_FILTERED_EXCLUDED === '1';
    for (const q of questions()) {
      const released = await ask(q);
      if (!released) continue;
      answered++;
      const breakdown = q.groupBy.length > 0 || Object.keys(q.filters).length > 0;
      const inRange = (u: Unknown) => u.day >= released.from && u.day <= released.to;
      const matches = (u: Unknown) =>
        inRange(u) &&
        Object.entries(q.filters).every(([d, values]) =>
          values.includes(u[d as 'region' | 'channel']),
        );
      // Every cell of the table: a period, and a value of each grouped dimension.
      const periods = [
        ...new Set(
          quarter.days
            .filter((d) => inRange({ day: d } as Unknown))
            .map((d) => periodOf(q.period, d)),
        ),
      ];
      const keys: Array<Record<string, string>> = [{}];
      for (const d of q.groupBy) {
        const values = d === 'region' ? REGIONS : CHANNELS;
        keys.splice(0, keys.length, ...keys.flatMap((k) => values.map((v) => ({ ...k, [d]: v }))));
      }
      for (const period of periods)
        for (const key of keys) {
          const terms = unknowns.flatMap((u, i) =>
            matches(u) &&
            periodOf(q.period, u.day) === period &&
            q.groupBy.every((d) => u[d] === key[d]) &&
            (!breakdown || u.consented)
              ? [i]
              : [],
          );
          const row = released.rows.find(
            (r) => r.period === period && q.groupBy.every((d) => r.key[d] === key[d]),
          );
          const name = `${q.format} ${q.period} ${JSON.stringify(q.filters)} ${period} ${JSON.stringify(key)}`;
          if (!row) constrain(name, terms, 0, 0);
          else if (row.count === null) {
            constrain(name, terms, 1, Infinity);
            targets.push({ name, terms });
          } else constrain(name, terms, row.count, row.count);
        }
      if (released.excluded !== undefined && breakdown) {
        const terms = unknowns.flatMap((u, i) =>
          (filtersCountExcluded ? matches(u) : inRange(u)) && !u.consented ? [i] : [],
        );
        const name = `excluded ${released.from}..${released.to} ${JSON.stringify(q.filters)}`;
        if (released.excluded === null) {
          // Suppressed: some month of the range left out between 1 and k − 1, or its plain
          // total was suppressed; over the range, any number.
          constrain(name, terms, 0, Infinity);
          targets.push({ name, terms });
        } else constrain(name, terms, released.excluded, released.excluded);
      }
    }
    expect(answered).toBeGreaterThan(40);
    expect(wrong.slice(0, 5)).toEqual([]);
    // The same value asked for in several ways is one value.
    const distinct = new Map(targets.map((t) => [[...t.terms].sort((a, b) => a - b).join(), t]));
    const recovered: string[] = [];
    for (const target of distinct.values()) {
      const { min, max } = await lp.bounds(target.terms);
      const actual = target.terms.reduce((n, i) => n + truth[i], 0);
      // The attacker must be right about the range, or its verdicts prove nothing.
      expect(actual).toBeGreaterThanOrEqual(min - 1e-6);
      expect(actual).toBeLessThanOrEqual(max + 1e-6);
      if (Math.ceil(min - 1e-6) === Math.floor(max + 1e-6))
        recovered.push(`${target.name} = ${actual}`);
    }
    console.log(
      `differencing attacker: ${answered} answers, ${distinct.size} distinct suppressed values, ${recovered.length} recovered, ${new Set(small).size} released below k`,
    );
    expect(distinct.size).toBeGreaterThan(0);
    expect({ recovered, small: [...new Set(small)] }).toEqual({ recovered: [], small: [] });
  }, 300_000);
});
