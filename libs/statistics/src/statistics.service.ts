import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl } from '@mayak/access';
import { AuditTrail } from '@mayak/audit';
import { Actor } from '@mayak/identity';
import { AppConfig, daysByWeek, KeyRing, SealedError, weekOfDay } from '@mayak/platform';
import { EntityManager } from 'typeorm';
import { CellQuery, CellSums, countContacts, RawCell, sumCuboid } from './cell-queries';
import { ContactFactsSource } from './contact-facts';
import { chooseCuboid } from './cuboids';
import { canonical, COVER_DIMENSIONS, Dimension, DIMENSION, DIMENSIONS } from './dimensions';
import {
  DisclosureBudgetExceeded,
  exposedToCoarserReleases,
  protectCover,
  ProtectedCover,
  protectTable,
  withheldCover,
} from './disclosure';
import {
  alignToPeriods,
  daysBetween,
  GRAIN,
  iso,
  MAX_PERIODS,
  nextMonth,
  periodLabel,
} from './periods';
import {
  aggregateReleased,
  periodsOfDays,
  ProtectedMonthTotals,
  protectMonthTotals,
  sumReleased,
} from './release-hierarchy';
import { SealedRollups } from './sealed-rollups';
import { StatsReads } from './stats-reads';
import { StatisticsError, StatisticsException } from './statistics.exception';
import { RememberedMap } from './remembered-map';
import { CASE_DIMENSIONS, CaseDimension, StatsQuery, StatsResult, StatsRow } from './stats-query';

/** Protected tables remembered (see StatisticsService.protectPeriod): about 15 MB. */
const REMEMBERED_CELLS = 100_000;

/** Covers' plans remembered (a few KB each): two years of months, three times over. */
const REMEMBERED_COVERS = 72;

/** Months of protected plain totals remembered (a few KB each): ten years, ten times over. */
const REMEMBERED_MONTH_TOTALS = 1_200;

/**
 * Rows of whole protected answers remembered (see StatisticsService.answerId): a few
 * hundred bytes each with the answer's JSON once the API has sent it (about a hundred bytes
 * a row), about 15 MB; a quarterly four-way report has a few thousand.
 */
const REMEMBERED_ANSWER_ROWS = 50_000;

/** Whole weeks read together when counting from the contacts (about a month). */
const FALLBACK_WEEKS_PER_READ = 5;

/** How one answer reads: from the rollups where they answer, and in which snapshot. */
interface Reads {
  rollups: boolean;
  em: EntityManager;
  /** The sealings counted when the answer began: nothing of it is remembered after another. */
  sealings: number;
  /** Set when some count came from the contacts or cases, not the rollups alone. */
  beyondRollups?: boolean;
}

/**
 * A whole protected answer as remembered, and the JSON body the API sends for it, made the
 * first time it is sent and the same bytes every time after (about half a warm four-way
 * answer's CPU was serialising it again).
 */
interface RememberedAnswer {
  readonly result: StatsResult;
  json?: Buffer;
}

/** A protected period's released cells, and whether the whole breakdown was withheld. */
interface ProtectedPeriod {
  readonly cells: ReadonlyArray<{ key: readonly string[]; count: number | null }>;
  readonly withheld: boolean;
}

/** An answer, and its entry among the remembered answers when it is one. */
interface Answer {
  result: StatsResult;
  remembered?: RememberedAnswer;
}

/** The case's own columns; its region is the contact's, sealed (see caseCells). */
const CASE_COLUMN: Record<Exclude<CaseDimension, 'region'>, string> = {
  service: 'c.service',
  status: 'c.status',
  outcome: `coalesce(c.outcome, 'open')`,
};

/**
 * Anonymized statistics for coordinators. Every answer is built of whole, fixed periods;
 * plain totals count every contact, any breakdown only contacts whose caller consented to
 * statistics (and says how many were left out); and no released cell or total lies between
 * 1 and k − 1, with complementary suppression so that totals cannot give a suppressed cell
 * away (see ./disclosure). Breakdowns read the sealed day or month rollups where a cuboid
 * covers them (decrypted once per process, then answered in memory), and count the contacts'
 * facts otherwise.
 */
@Injectable()
export class StatisticsService {
  /**
   * Disclosure control is a pure, deterministic function of the table, so its result for the
   * same counts can be reused exactly: a dashboard asked again (closed months never change)
   * costs the SQL only. Only aggregate counts of consenting callers are kept, in this
   * process's memory; least recently used first out.
   */
  private readonly protectedTables = new RememberedMap<ProtectedPeriod>(
    REMEMBERED_CELLS,
    (table) => table.cells.length,
  );
  /** Each month's cover (COVER_DIMENSIONS) as protected, by the hash of its table. */
  private readonly protectedCovers = new RememberedMap<ProtectedCover>(REMEMBERED_COVERS);
  /** Each month's protected plain totals, by its days' counts: every answer reads them. */
  private readonly protectedMonthTotals = new RememberedMap<ProtectedMonthTotals>(
    REMEMBERED_MONTH_TOTALS,
  );
  /**
   * Whole protected answers read off the rollups alone, by the query and the versions of the
   * rollup rows it reads (answerId): a warm answer costs one query for the versions.
   */
  private readonly answers = new RememberedMap<RememberedAnswer>(
    REMEMBERED_ANSWER_ROWS,
    (answer) => answer.result.rows.length + 1,
  );
  /**
   * Times the key ring sealed: nothing an answer begun before a sealing computed is remembered
   * after it (remember), nor released by the API (release).
   */
  private sealings = 0;

  constructor(
    private readonly reads: StatsReads,
    private readonly access: AccessControl,
    private readonly config: AppConfig,
    private readonly rollups: SealedRollups,
    private readonly facts: ContactFactsSource,
    private readonly audit: AuditTrail,
    private readonly ring: KeyRing,
  ) {
    // What the keys protected does not outlive them in this process (as SealedRollups'): the
    // JSON sent is zeroed, the rest left to the collection RootHolder asks for at once.
    ring.onSeal(() => {
      this.sealings++;
      this.answers.clear((answer) => answer.json?.fill(0));
      for (const remembered of [
        this.protectedTables,
        this.protectedCovers,
        this.protectedMonthTotals,
      ])
        remembered.clear();
    });
  }

  async query(actor: Actor, query: StatsQuery): Promise<StatsResult> {
    await this.access.requireCapability(actor, 'stats:read');
    return (await this.release(actor, query)).result;
  }

  /**
   * The answer of `query` as the JSON body the API sends (UTF-8): exactly JSON.stringify of
   * what `query` returns, access-checked and audited the same way. An answer remembered whole
   * (answerId) keeps its JSON beside it, so asking again sends the same bytes, serialised
   * once; the rest are serialised here.
   */
  async queryJson(actor: Actor, query: StatsQuery): Promise<Buffer> {
    await this.access.requireCapability(actor, 'stats:read');
    const { result, remembered } = await this.release(actor, query);
    if (!remembered) return Buffer.from(JSON.stringify(result));
    return (remembered.json ??= Buffer.from(JSON.stringify(remembered.result)));
  }

  /**
   * The same table as a file to download (CSV): an export, so it needs the password and a
   * code proved within REAUTH_WINDOW_MINUTES too (12.4).
   */
  async export(actor: Actor, query: StatsQuery): Promise<StatsResult> {
    await this.access.requireCapability(actor, 'stats:read');
    await this.access.requireRecentAuthentication(actor, 'stats.export');
    return (await this.release(actor, query)).result;
  }

  private async release(actor: Actor, query: StatsQuery): Promise<Answer> {
    const sealings = this.sealings;
    const answer = await this.reads.snapshot((em) =>
      this.computeIn({ em, rollups: true, sealings }, query, {}),
    );
    // Counted under keys that are gone: a lockdown mid-answer releases nothing of it.
    if (this.ring.sealed || this.sealings !== sealings) throw new SealedError();
    const { result } = answer;
    // Which table was released, never what it said: the parameters let a review spot
    // someone asking around a cell, and they are the coordinator's own question.
    await this.audit.record({
      actorId: actor.userId,
      action: 'stats.release',
      outcome: 'success',
      reason: releasedTableParameters(query, result),
    });
    return answer;
  }

  /**
   * The statistics without the access check, for the benchmark and for tests that compare the
   * rollups with the contacts. `unprotected` skips disclosure control, and with it the rules
   * of what may be asked: never let its result leave the process.
   */
  async compute(
    query: StatsQuery,
    options: { source?: 'rollup' | 'contacts'; unprotected?: boolean } = {},
  ): Promise<StatsResult> {
    // One snapshot for every read of the answer (see StatsReads), on the replica if any.
    const { result } = await this.reads.snapshot((em) =>
      this.computeIn(
        { em, rollups: options.source !== 'contacts', sealings: this.sealings },
        query,
        options,
      ),
    );
    return result;
  }

  private async computeIn(
    reading: Reads,
    query: StatsQuery,
    options: { unprotected?: boolean },
  ): Promise<Answer> {
    const range = this.range(query);
    const answer = {
      k: this.config.STATS_K,
      period: query.period,
      measure: query.measure,
      groupBy: query.groupBy,
      from: range.start,
      to: iso(new Date(Date.parse(range.end) - 86_400_000)),
      timeZone: this.config.STATS_TIMEZONE,
    };
    if (options.unprotected) {
      const plain = isPlain(query);
      const { cells, excluded } = await this.count(query, range, plain, reading);
      return {
        result: {
          ...answer,
          rows: this.unprotected(query, cells),
          withheldPeriods: [],
          excludedWithoutConsent: excluded,
        },
      };
    }
    requirePublishable(query);
    const id = await this.answerId(query, range, reading);
    const remembered = id === undefined ? undefined : this.answers.get(id);
    if (remembered) return { result: { ...remembered.result }, remembered };
    const months = await this.protectedMonths(query, range, reading);
    const result: StatsResult = isPlain(query)
      ? { ...answer, ...this.releaseTotals(query, range, months) }
      : {
          ...answer,
          ...(await this.releaseBreakdown(query, range, reading)),
          // A month without contacts left none out; `?? 0` would also turn a suppressed one into 0.
          excludedWithoutConsent: sumReleased(
            monthsOf(range).map((m) => (months.has(m) ? months.get(m)!.excluded : 0)),
          ),
        };
    // Not a withheld answer: a deadline the load missed is not remembered (protectPeriod).
    if (id !== undefined && !reading.beyondRollups && result.withheldPeriods.length === 0) {
      Object.freeze(result.rows);
      Object.freeze(result.withheldPeriods);
      for (const row of result.rows) Object.freeze(row);
      const entry: RememberedAnswer = { result: { ...result } };
      if (this.remember(reading, this.answers, id, entry)) return { result, remembered: entry };
    }
    return { result };
  }

  /**
   * What a protected answer of contacts read off the rollups is a pure function of (disclosure
   * control is deterministic in its table): the query, its periods as aligned, k, and the
   * rollup rows of the months it touches, which SealedRollups.fingerprint names by their
   * versions, read in the answer's own snapshot. The same rows at the same versions hold the
   * same cells, in every API process, so a remembered answer is exactly what counting and
   * protecting again would give; a row written since changes the id. Undefined for cases
   * (counted from the cases) and for the counts from the contacts.
   */
  private async answerId(
    query: StatsQuery,
    range: { start: string; end: string },
    reading: Reads,
  ): Promise<string | undefined> {
    if (!reading.rollups || query.measure !== 'contacts' || this.ring.sealed) return undefined;
    const months = monthSpan(range);
    const rows = await this.rollups.fingerprint(months.start, months.end, reading.em);
    const filters = Object.entries(query.filters).sort(([a], [b]) => (a < b ? -1 : 1));
    return JSON.stringify([
      this.config.STATS_K,
      query.period,
      range.start,
      range.end,
      query.groupBy,
      filters,
      rows,
    ]);
  }

  /** The counts of a query as asked, by its own period: the rollups' or the contacts'. */
  private count(
    query: StatsQuery,
    range: { start: string; end: string },
    plain: boolean,
    reading: Reads,
  ): Promise<{ cells: RawCell[]; excluded: number }> {
    if (query.measure === 'contacts') return this.contactCells(query, range, plain, reading);
    reading.beyondRollups = true;
    return this.caseCells(query, range, plain, reading.em);
  }

  /**
   * The plain totals of every month the range touches, by day and for the month, with the
   * month's count of contacts (or cases) without statistics consent: protectMonthTotals.
   * Whole months whatever the range, so that a day's answer never depends on the range it
   * was asked in.
   */
  private async protectedMonths(
    query: StatsQuery,
    range: { start: string; end: string },
    reading: Reads,
  ): Promise<Map<string, ProtectedMonthTotals>> {
    const months = monthSpan(range);
    const plain = { ...query, groupBy: [], filters: {} };
    const daily = await this.count({ ...plain, period: 'day' }, months, true, reading);
    const consented = await this.count({ ...plain, period: 'month' }, months, false, reading);
    const consentedIn = new Map(consented.cells.map((c) => [c.period, c.count]));
    const byMonth = new Map<string, Array<{ day: string; count: number }>>();
    for (const cell of daily.cells) {
      const month = cell.period.slice(0, 7);
      byMonth.set(month, [...(byMonth.get(month) ?? []), { day: cell.period, count: cell.count }]);
    }
    const protectedMonths = new Map<string, ProtectedMonthTotals>();
    const k = this.config.STATS_K;
    for (const [month, days] of byMonth) {
      const all = days.reduce((n, d) => n + d.count, 0);
      const excluded = all - (consentedIn.get(month) ?? 0);
      // Pure in its input, like protectPeriod: a closed month's totals are protected once.
      const id = `${k} ${excluded} ${days.map((d) => `${d.day}=${d.count}`).join(' ')}`;
      let totals = this.protectedMonthTotals.get(id);
      if (!totals)
        this.remember(
          reading,
          this.protectedMonthTotals,
          id,
          (totals = protectMonthTotals(days, excluded, k)),
        );
      protectedMonths.set(month, totals);
    }
    return protectedMonths;
  }

  /** Plain totals: days and months as protected, weeks and quarters added up from them. */
  private releaseTotals(
    query: StatsQuery,
    range: { start: string; end: string },
    months: ReadonlyMap<string, ProtectedMonthTotals>,
  ): Pick<StatsResult, 'rows' | 'withheldPeriods' | 'excludedWithoutConsent'> {
    let released: Array<{ period: string; key: readonly string[]; count: number | null }>;
    if (query.period === 'month' || query.period === 'quarter')
      released = aggregateReleased(
        query.period,
        [...months].map(([month, totals]) => ({ period: month, key: [], count: totals.total })),
        (m) => `${m}-01`,
      );
    else
      released = aggregateReleased(
        query.period,
        [...months.values()].flatMap((totals) =>
          [...totals.days].map(([day, count]) => ({ period: day, key: [], count })),
        ),
        (d) => d,
      );
    const wanted = new Set(periodsOfDays(query.period, daysBetween(range.start, range.end)));
    return {
      rows: toRows(
        query,
        released.filter((r) => wanted.has(r.period)),
      ),
      withheldPeriods: [],
      excludedWithoutConsent: 0,
    };
  }

  /**
   * Breakdowns and filtered counts: each month's table over the dimensions grouped and
   * filtered by, protected as a whole (protectPeriod); a filter picks its rows, and a quarter
   * adds up its months' released cells. The table, and so its protection, is the same
   * whatever the filter values, the grouping's order or the range asked.
   */
  private async releaseBreakdown(
    query: StatsQuery,
    range: { start: string; end: string },
    reading: Reads,
  ): Promise<Pick<StatsResult, 'rows' | 'withheldPeriods'>> {
    const k = this.config.STATS_K;
    const order: readonly string[] = query.measure === 'cases' ? CASE_DIMENSIONS : DIMENSIONS;
    const filtered = Object.keys(query.filters) as StatsQuery['groupBy'];
    const dimensions = order.filter(
      (d) => (query.groupBy as string[]).includes(d) || (filtered as string[]).includes(d),
    ) as StatsQuery['groupBy'];
    // Two or more of the cover's dimensions: a level of the month's cover table.
    const cover = readsCover(query);
    const table: StatsQuery = {
      ...query,
      period: 'month',
      groupBy: cover ? [...COVER_DIMENSIONS] : dimensions,
      filters: {},
    };
    const { cells } = await this.count(table, range, false, reading);
    const budget = {
      deadline: performance.now() + this.config.STATS_PROTECTION_BUDGET_MS,
      whole: true,
    };
    const position = (d: string) => (dimensions as string[]).indexOf(d);
    // Where each grouped dimension and each filter sits in the table's keys, found once.
    const grouped = query.groupBy.map(position);
    const inTableOrder = grouped.length === dimensions.length && grouped.every((at, i) => at === i);
    const picks = filtered.map((d) => [position(d), query.filters[d]![0]] as const);
    const months: Array<{ period: string; key: readonly string[]; count: number | null }> = [];
    const withheldMonths = new Set<string>();
    const cellsOf = new Map<string, RawCell[]>();
    for (const cell of cells) {
      const list = cellsOf.get(cell.period);
      if (list) list.push(cell);
      else cellsOf.set(cell.period, [cell]);
    }
    for (const month of monthsOf(range)) {
      const monthCells = cellsOf.get(month)?.sort((a, b) => compareKeys(a.key, b.key));
      if (!monthCells) continue;
      const protectedMonth = cover
        ? this.protectCoverPeriod(reading, monthCells, dimensions, k)
        : this.protectPeriod(reading, table, monthCells, k, budget);
      if (protectedMonth.withheld) withheldMonths.add(month);
      for (const cell of protectedMonth.cells)
        if (picks.every(([at, value]) => cell.key[at] === value))
          months.push({
            period: month,
            key: inTableOrder ? cell.key : grouped.map((at) => cell.key[at]),
            count: cell.count,
          });
    }
    const withheldPeriods = [
      ...new Set([...withheldMonths].map((m) => periodLabel(query.period, `${m}-01`))),
    ].sort();
    // A quarter with a withheld month is withheld whole, as a month is.
    const released =
      query.period === 'month'
        ? months
        : aggregateReleased('quarter', months, (m) => `${m}-01`).map((cell) =>
            withheldPeriods.includes(cell.period) && cell.count !== 0
              ? { ...cell, count: null }
              : cell,
          );
    return { rows: toRows(query, released), withheldPeriods };
  }

  private range(query: StatsQuery): { start: string; end: string } {
    let range: ReturnType<typeof alignToPeriods>;
    try {
      range = alignToPeriods(query.period, query.from, query.to);
    } catch {
      throw new StatisticsException(
        StatisticsError.InvalidQuery,
        'from',
        'from and to must be calendar dates (YYYY-MM-DD)',
      );
    }
    if (range.count <= 0)
      throw new StatisticsException(
        StatisticsError.InvalidQuery,
        'to',
        'to must not be before from',
      );
    if (range.count > MAX_PERIODS[query.period])
      throw new StatisticsException(
        StatisticsError.InvalidQuery,
        'to',
        `at most ${MAX_PERIODS[query.period]} ${query.period}s at a time`,
      );
    return range;
  }

  /**
   * Contacts, from the rollup of a cuboid that covers the query where one does (and answers it
   * exactly), else from the contacts' facts in memory. Either way the same counts.
   */
  private async contactCells(
    query: StatsQuery,
    range: { start: string; end: string },
    plain: boolean,
    reading: Reads,
  ): Promise<{ cells: RawCell[]; excluded: number }> {
    const cellQuery: CellQuery = {
      period: query.period,
      groupBy: query.groupBy as Dimension[],
      filters: query.filters,
    };
    const filtered = canonical(
      (Object.keys(query.filters) as Dimension[]).filter((d) => query.filters[d]?.length),
    );
    const cuboid =
      reading.rollups && rollupsAnswerExactly(cellQuery)
        ? chooseCuboid(canonical([...cellQuery.groupBy, ...filtered]))
        : undefined;
    if (!cuboid) {
      reading.beyondRollups = true;
      return this.countFromContacts(cellQuery, range, plain, reading.em);
    }
    // Contacts in the filtered range whose caller did not consent: from the cuboid of the
    // filters' own dimensions where there is one, else from the contacts.
    const filterCuboid = plain ? undefined : chooseCuboid(filtered);
    const buckets = await this.rollups.read(
      GRAIN[query.period],
      range.start,
      range.end,
      filterCuboid ? [cuboid.id, filterCuboid.id] : [cuboid.id],
      reading.em,
    );
    const cells = sumCuboid(buckets, cuboid.id, cellQuery, plain ? 'contacts' : 'consented');
    if (plain) return { cells: cells.list(), excluded: 0 };
    if (!filterCuboid) {
      reading.beyondRollups = true;
      const { excluded } = await this.countFromContacts(cellQuery, range, false, reading.em);
      return { cells: cells.list(), excluded };
    }
    const unconsented = sumCuboid(
      buckets,
      filterCuboid.id,
      { ...cellQuery, groupBy: [] },
      'unconsented',
    );
    return { cells: cells.list(), excluded: unconsented.total() };
  }

  /**
   * The same counts straight from the contacts' facts, about a month of whole weeks at a time: the
   * fallback, and the ground truth the rollups are checked against.
   */
  private async countFromContacts(
    query: CellQuery,
    range: { start: string; end: string },
    plain: boolean,
    em: EntityManager,
  ): Promise<{ cells: RawCell[]; excluded: number }> {
    const days = daysBetween(range.start, range.end);
    const sums = new CellSums();
    let excluded = 0;
    for (const chunk of daysByWeek(days, FALLBACK_WEEKS_PER_READ)) {
      const contacts = await this.facts.ofDays(em, chunk);
      excluded += countContacts(contacts, query, plain ? 'contacts' : 'consented', sums);
    }
    return { cells: sums.list(), excluded: plain ? 0 : excluded };
  }

  /**
   * Cases opened in the range, by service, status, outcome and region. The first three are
   * the case's own columns. When it opened is not: the clear keeps only its week, so the
   * cases of the weeks the range touches are read and each is dated by its call's day, sealed
   * with the contact's facts (a case opens with its call's intake), as is the region: both are
   * opened here (ContactFactsSource) and counted in memory.
   */
  private async caseCells(
    query: StatsQuery,
    range: { start: string; end: string },
    plain: boolean,
    em: EntityManager,
  ): Promise<{ cells: RawCell[]; excluded: number }> {
    const dims = query.groupBy as CaseDimension[];
    const params: unknown[] = [weekOfDay(range.start), range.end, this.config.STATS_TIMEZONE];
    const filters = Object.entries(query.filters).filter(([, values]) => values?.length) as Array<
      [CaseDimension, string[]]
    >;
    const scope = [
      `c.created_at >= ($1::date)::timestamp AT TIME ZONE $3`,
      `c.created_at < ($2::date)::timestamp AT TIME ZONE $3`,
      ...filters.flatMap(([d, values]) =>
        d === 'region' ? [] : [`${CASE_COLUMN[d]} = ANY($${params.push(values)}::text[])`],
      ),
    ];
    const rows: Array<Record<string, string | boolean> & { contact_id: string }> = await em.query(
      `SELECT c.contact_id, ct.stats_consented,
                ${(['service', 'status', 'outcome'] as const).map((d) => `${CASE_COLUMN[d]} AS ${d}`).join(', ')}
           FROM cases c JOIN contacts ct ON ct.id = c.contact_id
          WHERE ${scope.join(' AND ')}`,
      params,
    );
    const factsOf = new Map(
      (await this.facts.ofContacts(em, [...new Set(rows.map((r) => r.contact_id))])).map(
        (f) => [f.id, f] as const,
      ),
    );
    const regionFilter = filters.find(([d]) => d === 'region')?.[1];
    const counts = new Map<string, RawCell>();
    let excluded = 0;
    for (const row of rows) {
      const facts = factsOf.get(row.contact_id);
      // A contact whose facts no longer open (logged by ContactFactsSource) has no day.
      if (!facts || facts.day < range.start || facts.day >= range.end) continue;
      const value = (d: CaseDimension) => (d === 'region' ? facts.region : String(row[d]));
      if (regionFilter && !regionFilter.includes(value('region'))) continue;
      if (!plain && !row.stats_consented) {
        excluded++;
        continue;
      }
      const period = periodLabel(query.period, facts.day);
      const key = dims.map(value);
      const id = JSON.stringify([period, key]);
      const cell = counts.get(id);
      if (cell) cell.count++;
      else counts.set(id, { period, key, count: 1 });
    }
    return { cells: [...counts.values()], excluded: plain ? 0 : excluded };
  }

  private unprotected(query: StatsQuery, cells: RawCell[]): StatsRow[] {
    return cells
      .map((cell) => {
        const row: StatsRow = { period: cell.period, count: cell.count };
        query.groupBy.forEach((d, i) => (row[d] = cell.key[i]));
        return row;
      })
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }

  /**
   * One month's level of the cover (channel × outcome × age band × gender identity): the month's
   * cover table is protected once, as one table with all its margins (protectCover), and every
   * breakdown over two or more of its dimensions reads its level from that plan, so no two
   * such answers can be differenced. Plans are remembered by their table's hash. The hypercube
   * search is bounded (a few tens of ms a month on two cores), so each month has the whole
   * STATS_PROTECTION_BUDGET_MS to itself, against a stall on a badly overloaded process.
   */
  private protectCoverPeriod(
    reading: Reads,
    cells: RawCell[],
    level: readonly string[],
    k: number,
  ): ProtectedPeriod {
    const input = {
      dimensions: [...COVER_DIMENSIONS],
      cells: cells.map((c) => ({ key: c.key, count: c.count })),
      k,
    };
    const id = tableHash(input);
    let plan = this.protectedCovers.get(id);
    if (!plan) {
      try {
        const deadline = performance.now() + this.config.STATS_PROTECTION_BUDGET_MS;
        plan = protectCover(input, { deadline });
      } catch (error) {
        if (!(error instanceof DisclosureBudgetExceeded)) throw error;
        // Withheld for this answer only: the plan is cheap on an idle process, so the next
        // answer plans it again rather than remember a verdict the load made.
        return { cells: withheldCover(input).level(level), withheld: true };
      }
      this.remember(reading, this.protectedCovers, id, plan);
    }
    return { cells: plan.level(level), withheld: plan.withheld };
  }

  /**
   * One period's table through disclosure control. Some values can only be protected by
   * hiding totals of k or more, which other answers do publish (the plain total and the
   * excluded count give the consented grand total; a coarser breakdown gives its rows). When
   * that happens, or when planning would run past the answer's time budget, this period's
   * breakdown is withheld entirely: every non-zero cell suppressed, which releases nothing
   * but the public zeros. Plans are remembered, and so is a verdict of "too slow" reached with
   * the whole budget to itself (asking again would only spend it again); one reached after
   * other periods used part of the budget is not.
   */
  private protectPeriod(
    reading: Reads,
    query: StatsQuery,
    cells: RawCell[],
    k: number,
    budget: { deadline: number; whole: boolean },
  ): ProtectedPeriod {
    const input = {
      dimensions: query.groupBy,
      cells: cells.map((c) => ({ key: c.key, count: c.count })),
      k,
    };
    const id = tableHash(input);
    const remembered = this.protectedTables.get(id);
    if (remembered) return remembered;
    const withheld = (): ProtectedPeriod => ({
      cells: input.cells.map((c) => ({ key: c.key, count: c.count === 0 ? 0 : null })),
      withheld: true,
    });
    // A table that coarser releases alone give away cannot be protected by any plan, and
    // planning a fine one costs seconds: decide that first, in one pass, and remember it.
    if (exposedToCoarserReleases(input)) {
      const unprotectable = withheld();
      this.remember(reading, this.protectedTables, id, unprotectable);
      return unprotectable;
    }
    let result: ProtectedPeriod;
    const whole = budget.whole;
    budget.whole = false;
    try {
      const table = protectTable(input, { deadline: budget.deadline });
      result =
        table.exposedToCoarserReleases.length === 0
          ? { cells: table.cells, withheld: false }
          : withheld();
    } catch (error) {
      if (!(error instanceof DisclosureBudgetExceeded)) throw error;
      result = withheld();
      if (!whole) return result;
    }
    this.remember(reading, this.protectedTables, id, result);
    return result;
  }

  /**
   * Keeps `value` in `memory` unless the ring sealed since the answer began (or is sealed):
   * what was computed under keys that are gone is not kept past their sealing, which cleared
   * the memories already. Whether it was kept.
   */
  private remember<V>(reading: Reads, memory: RememberedMap<V>, id: string, value: V): boolean {
    if (this.ring.sealed || this.sealings !== reading.sealings) return false;
    memory.set(id, value);
    return true;
  }
}

/** A table's exact description, hashed: the key its protection is remembered by. */
function tableHash(input: {
  dimensions: readonly string[];
  cells: ReadonlyArray<{ key: readonly string[]; count: number }>;
  k: number;
}): string {
  // Dimension values are vocabulary words and counts are digits: neither holds a control
  // character, so the separators keep this an exact description of the input.
  const described = input.cells.map((c) => `${c.key.join('\u0000')}\u0001${c.count}`);
  return createHash('sha256')
    .update(`${input.k}\u0002${input.dimensions.join('\u0000')}\u0002${described.join('\u0002')}`)
    .digest('base64url');
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/**
 * Whether the rollups give exactly what counting the contacts gives. A filter on topics or
 * services keeps a contact once if any of its values is kept; a cuboid's cells count it once
 * per value, so they agree only for a filter that keeps one value and is not also a grouping
 * (grouped, the contact would count under all its values, not only the kept one).
 */
function rollupsAnswerExactly(query: CellQuery): boolean {
  return (Object.keys(query.filters) as Dimension[]).every((d) => {
    const kept = query.filters[d];
    return (
      !kept?.length ||
      !DIMENSION[d].multiValued ||
      (kept.length === 1 && !query.groupBy.includes(d))
    );
  });
}

/** A plain total: no breakdown and no filter, so every contact counts. */
const isPlain = (query: StatsQuery) =>
  query.groupBy.length === 0 && Object.values(query.filters).every((v) => !v?.length);

/**
 * The tables the API publishes (docs/security/statistics-differencing.md): plain totals by
 * any period; breakdowns and filtered counts by month or quarter, each filter one value of a
 * dimension, which picks rows of the breakdown over the grouped and filtered dimensions.
 */
function requirePublishable(query: StatsQuery): void {
  for (const [dimension, values] of Object.entries(query.filters))
    if (values?.length !== 1)
      throw new StatisticsException(
        StatisticsError.InvalidQuery,
        dimension,
        `a filter takes one value; ask for a breakdown by ${dimension} to see several`,
      );
  if (!isPlain(query) && (query.period === 'day' || query.period === 'week'))
    throw new StatisticsException(
      StatisticsError.InvalidQuery,
      'period',
      'breakdowns and filtered counts are published by month or quarter; day and week give the plain total only',
    );
  if (readsCover(query) && breakdownDimensions(query).length > coverDimensionsOf(query).length)
    throw new StatisticsException(
      StatisticsError.InvalidQuery,
      'groupBy',
      `${COVER_DIMENSIONS.join(', ')}: two or more of them are broken down (or filtered) only among themselves, with no other dimension`,
    );
}

/** The dimensions a breakdown is counted over: grouped and filtered. */
function breakdownDimensions(query: StatsQuery): string[] {
  return [...new Set<string>([...query.groupBy, ...Object.keys(query.filters)])];
}

function coverDimensionsOf(query: StatsQuery): string[] {
  return breakdownDimensions(query).filter((d) =>
    (COVER_DIMENSIONS as readonly string[]).includes(d),
  );
}

/** Contacts over two or more of the cover's dimensions: read from the month's cover. */
function readsCover(query: StatsQuery): boolean {
  return query.measure === 'contacts' && coverDimensionsOf(query).length >= 2;
}

/** The months (YYYY-MM) a range of whole days touches. */
function monthsOf(range: { start: string; end: string }): string[] {
  const months: string[] = [];
  for (let m = `${range.start.slice(0, 7)}-01`; m < range.end; m = nextMonth(m))
    months.push(m.slice(0, 7));
  return months;
}

/** The whole months a range of whole days touches, as a range of days. */
function monthSpan(range: { start: string; end: string }): { start: string; end: string } {
  const lastDay = iso(new Date(Date.parse(range.end) - 86_400_000));
  return { start: `${range.start.slice(0, 7)}-01`, end: nextMonth(lastDay) };
}

function toRows(
  query: StatsQuery,
  released: ReadonlyArray<{ period: string; key: readonly string[]; count: number | null }>,
): StatsRow[] {
  const rows: Array<{ row: StatsRow; key: readonly string[] }> = [];
  for (const value of released) {
    if (value.count === 0) continue;
    const row: StatsRow = { period: value.period, count: value.count };
    query.groupBy.forEach((d, i) => (row[d] = value.key[i]));
    if (value.count === null) row.suppressed = true;
    rows.push({ row, key: value.key });
  }
  // Periods of one answer share their format (YYYY-MM, YYYY-Qn, …), so plain comparison
  // orders them as the calendar does; keys are in groupBy order already.
  return rows
    .sort(
      (a, b) =>
        (a.row.period < b.row.period ? -1 : a.row.period > b.row.period ? 1 : 0) ||
        compareKeys(a.key, b.key),
    )
    .map((entry) => entry.row);
}

/** What the audit trail keeps of a released table: its parameters, never a count. */
function releasedTableParameters(query: StatsQuery, result: StatsResult): string {
  const filters = Object.entries(query.filters)
    .map(([d, values]) => `${d}=${values.join('|')}`)
    .sort();
  return [
    `measure=${query.measure}`,
    `period=${query.period}`,
    `from=${result.from}`,
    `to=${result.to}`,
    `groupBy=${query.groupBy.join('|')}`,
    `filters=${filters.join('&')}`,
  ].join(' ');
}
