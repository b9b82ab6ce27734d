import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl } from '@mayak/access';
import { Actor } from '@mayak/identity';
import { AppConfig } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { CellQuery, CellSums, countContacts, RawCell, sumCuboid } from './cell-queries';
import { ContactFactsSource } from './contact-facts';
import { chooseCuboid } from './cuboids';
import { canonical, Dimension, DIMENSION } from './dimensions';
import { DisclosureBudgetExceeded, protectTable } from './disclosure';
import { alignToPeriods, daysBetween, GRAIN, iso, MAX_PERIODS, PERIOD_LABEL_SQL } from './periods';
import { SealedRollups } from './sealed-rollups';
import { StatisticsError, StatisticsException } from './statistics.exception';
import { ProtectedPeriod, RememberedTables } from './remembered-tables';
import { CaseDimension, StatsQuery, StatsResult, StatsRow } from './stats-query';

type ReleasedCells = ReadonlyArray<{ key: readonly string[]; count: number | null }>;

/** Protected tables remembered (see StatisticsService.protectPeriod): about 15 MB. */
const REMEMBERED_CELLS = 100_000;

/** Days of contacts counted at once where no rollup answers: a month's worth in memory at most. */
const FALLBACK_DAYS_PER_READ = 31;

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
  private readonly protectedTables = new RememberedTables(REMEMBERED_CELLS);

  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly config: AppConfig,
    private readonly rollups: SealedRollups,
    private readonly facts: ContactFactsSource,
  ) {}

  async query(actor: Actor, query: StatsQuery): Promise<StatsResult> {
    await this.access.requireCapability(actor, 'stats:read');
    return this.compute(query);
  }

  /**
   * The statistics without the access check, for the benchmark and for tests that compare the
   * rollups with the contacts. `unprotected` skips disclosure control: never let its result
   * leave the process.
   */
  async compute(
    query: StatsQuery,
    options: { source?: 'rollup' | 'contacts'; unprotected?: boolean } = {},
  ): Promise<StatsResult> {
    const range = this.range(query);
    const k = this.config.STATS_K;
    const plain =
      query.groupBy.length === 0 && Object.values(query.filters).every((v) => !v?.length);
    let cells: RawCell[];
    let excluded: number;
    if (query.measure === 'cases')
      ({ cells, excluded } = await this.caseCells(query, range, plain));
    else
      ({ cells, excluded } = await this.contactCells(
        query,
        range,
        plain,
        options.source !== 'contacts',
      ));
    return {
      k,
      period: query.period,
      measure: query.measure,
      groupBy: query.groupBy,
      from: range.start,
      to: iso(new Date(Date.parse(range.end) - 86_400_000)),
      ...(options.unprotected
        ? { rows: this.unprotected(query, cells), withheldPeriods: [] }
        : this.protect(query, cells, k)),
      excludedWithoutConsent: excluded,
    };
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
    useRollups: boolean,
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
      useRollups && rollupsAnswerExactly(cellQuery)
        ? chooseCuboid(canonical([...cellQuery.groupBy, ...filtered]))
        : undefined;
    if (!cuboid) return this.countFromContacts(cellQuery, range, plain);
    const buckets = await this.rollups.read(GRAIN[query.period], range.start, range.end);
    const cells = sumCuboid(buckets, cuboid.id, cellQuery, plain ? 'contacts' : 'consented');
    if (plain) return { cells: cells.list(), excluded: 0 };
    // Contacts in the filtered range whose caller did not consent: from the cuboid of the
    // filters' own dimensions where there is one, else from the contacts.
    const filterCuboid = chooseCuboid(filtered);
    if (!filterCuboid) {
      const { excluded } = await this.countFromContacts(cellQuery, range, false);
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
   * The same counts straight from the contacts' facts, a month of days at a time: the
   * fallback, and the ground truth the rollups are checked against.
   */
  private async countFromContacts(
    query: CellQuery,
    range: { start: string; end: string },
    plain: boolean,
  ): Promise<{ cells: RawCell[]; excluded: number }> {
    const days = daysBetween(range.start, range.end);
    const sums = new CellSums();
    let excluded = 0;
    for (let i = 0; i < days.length; i += FALLBACK_DAYS_PER_READ) {
      const contacts = await this.facts.ofDays(
        this.db.manager,
        days.slice(i, i + FALLBACK_DAYS_PER_READ),
      );
      excluded += countContacts(contacts, query, plain ? 'contacts' : 'consented', sums);
    }
    return { cells: sums.list(), excluded: plain ? 0 : excluded };
  }

  /**
   * Cases opened in the range, by service, status, outcome and region. The first three are
   * the case's own columns; the region is the contact's, sealed with its facts, so a query
   * that groups or filters by region opens the facts of its cases (ContactFactsSource) and
   * counts in memory.
   */
  private async caseCells(
    query: StatsQuery,
    range: { start: string; end: string },
    plain: boolean,
  ): Promise<{ cells: RawCell[]; excluded: number }> {
    const dims = query.groupBy as CaseDimension[];
    const params: unknown[] = [range.start, range.end, this.config.STATS_TIMEZONE];
    const filters = Object.entries(query.filters).filter(([, values]) => values?.length) as Array<
      [CaseDimension, string[]]
    >;
    const bucket =
      GRAIN[query.period] === 'day'
        ? `(c.created_at AT TIME ZONE $3)::date`
        : `date_trunc('month', c.created_at AT TIME ZONE $3)::date`;
    const scope = [
      `c.created_at >= ($1::date)::timestamp AT TIME ZONE $3`,
      `c.created_at < ($2::date)::timestamp AT TIME ZONE $3`,
      ...filters.flatMap(([d, values]) =>
        d === 'region' ? [] : [`${CASE_COLUMN[d]} = ANY($${params.push(values)}::text[])`],
      ),
    ];
    const rows: Array<Record<string, string | boolean> & { contact_id: string }> =
      await this.db.query(
        `SELECT ${PERIOD_LABEL_SQL[query.period](bucket)} AS period, c.contact_id, ct.stats_consented,
                ${(['service', 'status', 'outcome'] as const).map((d) => `${CASE_COLUMN[d]} AS ${d}`).join(', ')}
           FROM cases c JOIN contacts ct ON ct.id = c.contact_id
          WHERE ${scope.join(' AND ')}`,
        params,
      );
    const byRegion = dims.includes('region') || filters.some(([d]) => d === 'region');
    const regions = new Map<string, string>();
    if (byRegion)
      for (const facts of await this.facts.ofContacts(this.db.manager, [
        ...new Set(rows.map((r) => r.contact_id)),
      ]))
        regions.set(facts.id, facts.region);
    const regionFilter = filters.find(([d]) => d === 'region')?.[1];
    const counts = new Map<string, RawCell>();
    let excluded = 0;
    for (const row of rows) {
      const value = (d: CaseDimension) =>
        d === 'region' ? (regions.get(row.contact_id) ?? 'unknown') : String(row[d]);
      if (regionFilter && !regionFilter.includes(value('region'))) continue;
      if (!plain && !row.stats_consented) {
        excluded++;
        continue;
      }
      const key = dims.map(value);
      const id = JSON.stringify([row.period, key]);
      const cell = counts.get(id);
      if (cell) cell.count++;
      else counts.set(id, { period: String(row.period), key, count: 1 });
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
    const id = createHash('sha256').update(JSON.stringify(input)).digest('base64url');
    const remembered = this.protectedTables.get(id);
    if (remembered) return remembered;
    const withheld = (): ProtectedPeriod => ({
      cells: input.cells.map((c) => ({ key: c.key, count: c.count === 0 ? 0 : null })),
      withheld: true,
    });
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
    this.protectedTables.set(id, result);
    return result;
  }

  /** Disclosure control, period by period: each period is a table of its own. */
  private protect(
    query: StatsQuery,
    cells: RawCell[],
    k: number,
  ): { rows: StatsRow[]; withheldPeriods: string[] } {
    const budget = {
      deadline: performance.now() + this.config.STATS_PROTECTION_BUDGET_MS,
      whole: true,
    };
    const byPeriod = new Map<string, RawCell[]>();
    for (const cell of cells) {
      const periodCells = byPeriod.get(cell.period);
      if (periodCells) periodCells.push(cell);
      else byPeriod.set(cell.period, [cell]);
    }
    const rows: StatsRow[] = [];
    const withheldPeriods: string[] = [];
    for (const period of [...byPeriod.keys()].sort()) {
      // GROUP BY hands cells back in no fixed order; the same question must get the same
      // answer, row for row (JSON and CSV alike), and the planner the same table.
      const periodCells = byPeriod.get(period)!.sort((a, b) => compareKeys(a.key, b.key));
      let released: ReleasedCells;
      if (query.groupBy.length === 0)
        released = periodCells.map((c) => ({ key: c.key, count: c.count >= k ? c.count : null }));
      else {
        const protectedPeriod = this.protectPeriod(query, periodCells, k, budget);
        released = protectedPeriod.cells;
        if (protectedPeriod.withheld) withheldPeriods.push(period);
      }
      for (const cell of released) {
        if (cell.count === 0) continue;
        const row: StatsRow = { period, count: cell.count };
        query.groupBy.forEach((d, i) => (row[d] = cell.key[i]));
        if (cell.count === null) row.suppressed = true;
        rows.push(row);
      }
    }
    return { rows, withheldPeriods };
  }
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
