import path from 'node:path';
import { AppConfig, createLogger, daysByWeek, EnvelopeCipher } from '@mayak/platform';
import {
  alignToPeriods,
  CellSums,
  ContactFactsSource,
  countContacts,
  daysBetween,
  Dimension,
} from '@mayak/statistics';
import { DataSource } from 'typeorm';
import { Figure, FigureValue, measured, Target, unavailable } from '../core/figure';
import { distribution, Distribution, round } from '../core/percentiles';
import { collectGarbage } from '../core/gc';
import { seedContacts } from '../core/seed';
import { StatementCounter } from '../core/statements';

const DASHBOARD: Target[] = [{ op: '<=', value: 25 }];
/** Issue 14.4: the four-way report is never withheld at the bench's sizes. */
const NONE_WITHHELD: Target[] = [{ op: '<=', value: 0 }];
const SERIES: Target[] = [{ op: '<=', value: 100 }];

/** The dashboard's breakdowns, asked in turn. */
const BREAKDOWNS: Dimension[][] = [['region', 'topic'], ['region'], ['topic']];
/** The fine report: the last two quarters by four attributes of the caller and the call. */
const FOUR_WAY: Dimension[] = ['channel', 'outcome', 'ageBand', 'genderIdentity'];

/**
 * The same question counted from the contacts, the way the statistics service computes its
 * ground truth (`compute(…, { source: 'contacts' })`): the facts of the contacts of whole
 * periods in the statistics time zone, read through ContactFactsSource about a month of whole
 * weeks at a time and counted in memory; breakdowns over contacts whose caller consented to statistics,
 * plain counts over every contact. No rollups, no disclosure control: the floor under the
 * API's answer, and what the API does where no rollup answers.
 */
function countFromContacts(
  db: DataSource,
  facts: ContactFactsSource,
  range: { from: string; to: string },
  groupBy: readonly Dimension[],
  period: 'month' | 'quarter' = 'month',
): () => Promise<unknown> {
  const { start, end } = alignToPeriods(period, range.from, range.to);
  const days = daysBetween(start, end);
  return async () => {
    const sums = new CellSums();
    for (const chunk of daysByWeek(days, 5))
      countContacts(
        await facts.ofDays(db.manager, chunk),
        { period, groupBy, filters: {} },
        groupBy.length ? 'consented' : 'contacts',
        sums,
      );
    return sums.list();
  };
}

/**
 * Statistics: p95 of dashboard breakdowns (the last 30 days by region and topic, by region,
 * by topic, asked in turn) and of a two-year monthly series, through GET /api/stats as a
 * coordinator, one request at a time, over N synthetic contacts seeded by Mayak's own
 * `seed` command (which also builds the rollups); beside the same questions counted from the
 * contacts.
 */
export const statsFigure: Figure = {
  id: 'stats',
  title: 'p95 of dashboard breakdowns and a two-year monthly series, beside counting the contacts',
  names: [
    { name: 'stats.dashboard.p95', unit: 'ms', targets: DASHBOARD },
    { name: 'stats.series.p95', unit: 'ms', targets: SERIES },
    { name: 'stats.four_way.p95', unit: 'ms', targets: DASHBOARD },
    { name: 'stats.four_way.withheld', unit: 'quarters', targets: NONE_WITHHELD },
  ],
  async run(ctx) {
    const { statsContacts, statsQueries } = ctx.options.sizes;
    const notYet = (why: string) =>
      this.names.map((n) => unavailable(n.name, n.unit, why, { targets: n.targets }));
    const stack = await ctx.stack.launch('stats', { api: true, worker: true });
    try {
      let token = await stack.signIn((await ctx.stack.accounts()).coordinator);
      const day = (offsetDays: number) =>
        new Date(Date.now() - offsetDays * 86_400_000).toISOString().slice(0, 10);
      const dashboard = { from: day(30), to: day(0) };
      const series = { from: day(730), to: day(0) };
      const quarters = { from: day(183), to: day(0) };
      const apiPath = (
        range: { from: string; to: string },
        groupBy: readonly string[],
        period: 'month' | 'quarter' = 'month',
      ) =>
        `/api/stats?from=${range.from}&to=${range.to}&period=${period}${groupBy.length ? `&groupBy=${groupBy.join(',')}` : ''}`;
      const dashboardPaths = BREAKDOWNS.map((g) => apiPath(dashboard, g));
      const seriesPath = apiPath(series, []);
      const fourWayPath = apiPath(quarters, FOUR_WAY, 'quarter');
      const probe = await stack.http.call('GET', dashboardPaths[0], undefined, token);
      if (probe.status === 404) return notYet('GET /api/stats answers 404');
      if (probe.status !== 200)
        throw new Error(`GET /api/stats answered ${probe.status}: ${probe.text.slice(0, 300)}`);

      const why = await seedContacts(stack, statsContacts, ctx.log);
      if (why) return notYet(why);
      // Seeding millions of contacts outlasts a session's idle timeout: sign in again.
      token = await stack.signIn((await ctx.stack.accounts()).coordinator);
      // The first, cold answers: disclosure control plans each table from scratch.
      const cold: Record<string, number> = {};
      let withheld = { periods: 0, of: 0 };
      let fourWayReleased = { released: 0, rows: 0 };
      for (const path of [...dashboardPaths, seriesPath, fourWayPath]) {
        const t0 = performance.now();
        const answer = (await stack.http.expect(200, 'GET', path, undefined, token)) as {
          rows: Array<{ period: string; count: number | null }>;
          withheldPeriods?: string[];
        };
        cold[path] = performance.now() - t0;
        if (path === fourWayPath) {
          withheld = {
            periods: answer.withheldPeriods?.length ?? 0,
            of: new Set(answer.rows.map((r) => r.period)).size,
          };
          fourWayReleased = {
            released: answer.rows.filter((r) => r.count !== null).length,
            rows: answer.rows.length,
          };
        }
      }
      const coldDashboard = Math.max(...dashboardPaths.map((p) => cold[p]));

      // At most statsQueries of each, and at most a minute's worth once `least` are in: a slow
      // query on five million rows must not hold the run for half an hour (the note gives the
      // count). Counting two years of five million contacts takes most of a minute each time,
      // so the counts from the contacts settle for three samples.
      const timeEach = async (
        ask: (i: number) => Promise<number>,
        least = 20,
      ): Promise<Distribution> => {
        const samples: number[] = [];
        const started = performance.now();
        while (
          samples.length < statsQueries &&
          !(samples.length >= least && performance.now() - started > 60_000)
        )
          samples.push(await ask(samples.length));
        return distribution(samples);
      };
      const time = (ask: (i: number) => Promise<unknown>, least = 20) =>
        timeEach(async (i) => {
          const t0 = performance.now();
          await ask(i);
          return performance.now() - t0;
        }, least);
      // The API's answers are timed as the intake figures are, from the send to the answer's
      // last byte; the body is checked (200, JSON) after the clock stops, and the client's
      // JSON.parse is timed apart (a four-way answer is ~0.45 MB: parsing it is the client's
      // work, not the API's, and is given in the note).
      const parsing: Record<'dashboard' | 'series' | 'fourWay', number[]> = {
        dashboard: [],
        series: [],
        fourWay: [],
      };
      const answer = async (path: string, parsed: number[]): Promise<number> => {
        // The client's own garbage collected before the clock starts (see collectGarbage).
        await collectGarbage();
        const t0 = performance.now();
        const response = await fetch(`${stack.http.baseUrl}${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        const elapsed = performance.now() - t0;
        if (response.status !== 200)
          throw new Error(
            `GET ${path} answered ${response.status}: ${bytes.toString('utf8').slice(0, 300)}`,
          );
        const p0 = performance.now();
        JSON.parse(bytes.toString('utf8'));
        parsed.push(performance.now() - p0);
        return elapsed;
      };
      const db = await new DataSource({
        type: 'postgres',
        url: stack.database.url,
        extra: { max: 2 },
      }).initialize();
      const facts = new ContactFactsSource(
        new EnvelopeCipher(await stack.keyRing()),
        // The stack runs with the default STATS_TIMEZONE: the days the seed's contacts count in.
        new AppConfig(),
        createLogger('bench', 'warn'),
      );
      const dashboardCounts = BREAKDOWNS.map((g) => countFromContacts(db, facts, dashboard, g));
      const seriesCount = countFromContacts(db, facts, series, []);
      const fourWayCount = countFromContacts(db, facts, quarters, FOUR_WAY, 'quarter');

      ctx.log(
        `  up to ${statsQueries} of each (a minute at most), through the API and counted from the contacts`,
      );
      const statements =
        ctx.services.statements && stack.profileDir
          ? new StatementCounter(stack.db, stack.database.name)
          : undefined;
      await statements?.reset();
      const api = {
        dashboard: await timeEach((i) =>
          answer(dashboardPaths[i % dashboardPaths.length], parsing.dashboard),
        ),
        series: await timeEach(() => answer(seriesPath, parsing.series)),
        fourWay: await timeEach(() => answer(fourWayPath, parsing.fourWay)),
      };
      if (statements && stack.profileDir)
        await statements.report(
          api.dashboard.count + api.series.count + api.fourWay.count,
          path.join(stack.profileDir, 'stats-statements.txt'),
        );
      const raw = {
        dashboard: await time((i) => dashboardCounts[i % dashboardCounts.length](), 3),
        series: await time(() => seriesCount(), 3),
        fourWay: await time(() => fourWayCount(), 3),
      };
      await db.destroy();
      const note = (a: Distribution, b: Distribution, parsed: number[]) => {
        const parse = distribution(parsed);
        return `${statsContacts.toLocaleString('en-US')} synthetic contacts (npm run cli -- seed); ${a.count} requests and ${b.count} counts from the contacts, one at a time; API p50 ${round(a.p50)} ms (to the answer's last byte; the client's JSON.parse after it p50 ${round(parse.p50)}, p95 ${round(parse.p95)} ms), counted from the contacts p50 ${round(b.p50)} ms`;
      };
      const values: FigureValue[] = [
        measured('stats.dashboard.p95', round(api.dashboard.p95), 'ms', {
          baseline: round(raw.dashboard.p95),
          targets: DASHBOARD,
          note: `${note(api.dashboard, raw.dashboard, parsing.dashboard)}; month × region × topic, by region, by topic in turn; the slowest first (cold) answer ${round(coldDashboard)} ms, later ones reuse the remembered disclosure plans`,
        }),
        measured('stats.series.p95', round(api.series.p95), 'ms', {
          baseline: round(raw.series.p95),
          targets: SERIES,
          note: note(api.series, raw.series, parsing.series),
        }),
        measured('stats.four_way.p95', round(api.fourWay.p95), 'ms', {
          baseline: round(raw.fourWay.p95),
          targets: DASHBOARD,
          note: `${note(api.fourWay, raw.fourWay, parsing.fourWay)}; quarter × ${FOUR_WAY.join(' × ')} over the last two quarters, read off each month's protected cover; first (cold) answer ${round(cold[fourWayPath])} ms, which plans the months' covers; ${fourWayReleased.released} of ${fourWayReleased.rows} four-way rows released`,
        }),
        measured('stats.four_way.withheld', withheld.periods, 'quarters', {
          targets: NONE_WITHHELD,
          note: `withheldPeriods of the four-way answer, of ${withheld.of} quarters (no hypercube could protect a month, or planning ran past STATS_PROTECTION_BUDGET_MS)`,
        }),
      ];
      return values;
    } finally {
      await stack.stop();
    }
  },
};
