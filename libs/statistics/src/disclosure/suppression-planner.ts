import { IndexedTable } from './count-table';
import { ExactRowSpace, SparseColumn } from './exact-row-space';

/**
 * Thrown when planning runs past its deadline. Planning is exact, and on fine breakdowns
 * (four or five dimensions, thousands of cells) it can take seconds of CPU that would stall
 * every other request of the process; the caller withholds the table instead.
 */
export class DisclosureBudgetExceeded extends Error {
  constructor() {
    super('disclosure planning ran past its time budget');
    this.name = 'DisclosureBudgetExceeded';
  }
}

export interface PlanningOptions {
  /** A `performance.now()` moment; past it, planning stops with DisclosureBudgetExceeded. */
  readonly deadline?: number;
}

/**
 * Which cells and totals to suppress. Unknown ids: a cell is its cell id, a total is
 * (number of cells + its total id).
 */
export interface SuppressionPlan {
  readonly cellSuppressed: readonly boolean[];
  readonly totalSuppressed: readonly boolean[];
  /**
   * Suppressed unknowns an attacker who knows every total ≥ k could still compute, or pin at 1
   * because the line they fill alone is public.
   */
  readonly exposedToCoarserReleases: readonly number[];
}

/**
 * Primary suppression, the line heuristic, then an exact audit against two attackers:
 * - the conservative one knows every released value, that absent cells are zero, and every
 *   marginal total ≥ k even if suppressed here (a coarser query could publish it);
 * - the release-only one knows just what this release publishes and the zeros.
 * Suppressing cells protects against both. A few values cannot be protected from the
 * conservative attacker by any choice of cells, because totals ≥ k alone pin them down (a
 * region whose total is the only one below k, say): those are protected from the release-only
 * attacker by suppressing totals too, and reported as exposed to coarser releases.
 * One non-linear inference is closed as well: hidden cells are listed, so known to be ≥ 1, and
 * hidden cells of 1 that make up all the rest of a public line are each exactly 1.
 */
export function planSuppression(
  table: IndexedTable,
  options: PlanningOptions = {},
): SuppressionPlan {
  const first = new SuppressionPlanner(table, options.deadline);
  if (first.run()) return first.plan();
  // The heuristic chose a complement the conservative attacker knows anyway: plan again,
  // knowing from the start which cells those are.
  const second = new SuppressionPlanner(table, options.deadline, first.unavoidable());
  if (!second.run()) throw new Error('disclosure audit: planning did not settle');
  return second.plan();
}

class SuppressionPlanner {
  private readonly cellCount: number;
  private readonly cellSuppressed: boolean[];
  private readonly totalSuppressed: boolean[];
  /** Per total, how many of its non-zero cells are suppressed. */
  private readonly suppressedCellsIn: number[];
  private readonly lineQueue: number[] = [];
  private readonly queued: boolean[];
  /** Non-zero cells and totals by increasing count, then id: "the smallest" first. */
  private readonly cellsBySize: number[];
  private readonly totalsBySize: number[];
  /** The first total id of each subset, and one past the last. */
  private readonly subsetStart: number[];
  /**
   * Unknowns the conservative attacker determines even if every non-zero cell is hidden.
   * Computing them costs as much as the audit, and most tables never need them, so they are
   * computed when the audit first finds something to repair.
   */
  private unavoidableValues: Set<number> | undefined;
  private readonly conservative = new ExactRowSpace();
  private releaseOnly: ExactRowSpace | undefined;
  /** Cells of 1 whose public line holds nothing else: see hideTotalsOfLinesOfOnes. */
  private readonly pinnedAtOne = new Set<number>();

  constructor(
    private readonly table: IndexedTable,
    private readonly deadline = Infinity,
    unavoidable?: Set<number>,
  ) {
    this.unavoidableValues = unavoidable;
    const { cellCounts, totals } = table;
    this.cellCount = cellCounts.length;
    this.cellSuppressed = cellCounts.map(() => false);
    this.totalSuppressed = totals.map(() => false);
    this.suppressedCellsIn = totals.map(() => 0);
    this.queued = totals.map(() => false);
    const bySize = (counts: readonly number[]) =>
      counts
        .flatMap((count, id) => (count > 0 ? [id] : []))
        .sort((a, b) => counts[a] - counts[b] || a - b);
    this.cellsBySize = bySize(cellCounts);
    this.totalsBySize = bySize(totals.map((total) => total.count));
    // Totals come grouped by subset, in subset order.
    this.subsetStart = [0];
    table.subsets.forEach((_, subset) => {
      const size = totals.filter((total) => total.subset === subset).length;
      this.subsetStart.push(this.subsetStart[subset] + size);
    });
  }

  /** False if the plan must start over with the unavoidable values known from the start. */
  run(): boolean {
    this.suppressPrimary();
    this.completeLines();
    this.hideTotalsOfLinesOfOnes();
    return this.auditAndRepair();
  }

  /** Rule 1: no count from 1 to k − 1 is released, cell or total. */
  private suppressPrimary(): void {
    const { k, cellCounts, totals } = this.table;
    totals.forEach((total, id) => {
      if (total.count > 0 && total.count < k) this.suppressTotal(id);
    });
    cellCounts.forEach((count, cell) => {
      if (count > 0 && count < k) this.suppressCell(cell);
    });
    this.table.lineSubsets.forEach((subset) => {
      for (let line = this.subsetStart[subset]; line < this.subsetStart[subset + 1]; line++)
        this.enqueueLine(line);
    });
  }

  /**
   * The classic heuristic: a line (row, column, …) whose total is public and that holds exactly
   * one suppressed cell gives that cell away by subtraction, so it gets a second one.
   */
  private completeLines(): void {
    for (let next = 0; next < this.lineQueue.length; next++) {
      this.checkDeadline();
      const line = this.lineQueue[next];
      this.queued[line] = false;
      if (this.table.totals[line].count < this.table.k) continue;
      if (this.suppressedCellsIn[line] !== 1 && !this.hidesOnlyOnes(line)) continue;
      const partner = this.linePartner(line);
      if (partner !== undefined) this.suppressCell(partner);
    }
    this.lineQueue.length = 0;
  }

  /**
   * Beyond the linear model, but cheap to close: a suppressed cell is listed, so it is known to
   * be at least 1, and suppressed cells of a public line that sum to their number are all
   * exactly 1. A complement (never below k) leaves each of them a range.
   */
  private hidesOnlyOnes(line: number): boolean {
    const hidden = this.table.totals[line].cells.filter((cell) => this.cellSuppressed[cell]);
    return hidden.length > 1 && hidden.every((cell) => this.table.cellCounts[cell] === 1);
  }

  /**
   * A public line whose hidden cells are all 1 and that has no complement left to offer (ten
   * calls from one region, each on another topic; or beside them only cells the conservative
   * attacker knows anyway) tells that each hidden cell is exactly 1. Hide its total as well;
   * the release-only audit then protects it like any suppressed total. These cells stay
   * exposed to a coarser release that publishes the total.
   */
  private hideTotalsOfLinesOfOnes(): void {
    const { totals, k } = this.table;
    for (const subset of this.table.lineSubsets)
      for (let line = this.subsetStart[subset]; line < this.subsetStart[subset + 1]; line++) {
        if (totals[line].count < k || !this.hidesOnlyOnes(line)) continue;
        this.releaseOnlySpace();
        this.suppressTotal(line);
        for (const cell of totals[line].cells)
          if (this.cellSuppressed[cell]) this.pinnedAtOne.add(cell);
      }
  }

  /**
   * The exact audit: while either attacker can compute a suppressed value, hide one more value
   * chosen to break that computation, and check again. Every round hides something new, and
   * hiding everything hides everything, so this ends.
   */
  private auditAndRepair(): boolean {
    if (this.conservative.determined().length > 0 && this.choseUnavoidableComplement())
      return false;
    for (;;) {
      this.checkDeadline();
      const disclosed = this.conservative.determined();
      const avoidable = disclosed.find((u) => !this.unavoidable().has(u));
      if (avoidable !== undefined) {
        this.repairConservative(avoidable);
        continue;
      }
      // The release-only attacker knows less, so it only matters once some value is exposed
      // to the conservative one or a total ≥ k is hidden.
      if (disclosed.length === 0 && !this.releaseOnly) return true;
      const disclosedByRelease = this.releaseOnlySpace().determined()[0];
      if (disclosedByRelease === undefined) return true;
      this.repairReleaseOnly(disclosedByRelease);
    }
  }

  /** Whether a complement (a cell ≥ k) is one the conservative attacker computes anyway. */
  private choseUnavoidableComplement(): boolean {
    if (this.unavoidableValues) return false;
    const { k, cellCounts } = this.table;
    const unavoidable = this.unavoidable();
    return cellCounts.some(
      (count, cell) => count >= k && this.cellSuppressed[cell] && unavoidable.has(cell),
    );
  }

  /** Unknowns the conservative attacker computes even with every non-zero cell hidden. */
  unavoidable(): Set<number> {
    return (this.unavoidableValues ??= this.conservativelyUnavoidable());
  }

  plan(): SuppressionPlan {
    return {
      cellSuppressed: this.cellSuppressed,
      totalSuppressed: this.totalSuppressed,
      exposedToCoarserReleases: [
        ...new Set([...this.conservative.determined(), ...this.pinnedAtOne]),
      ].sort((a, b) => a - b),
    };
  }

  private linePartner(line: number): number | undefined {
    const { cellCounts, totals } = this.table;
    let best: number | undefined;
    let bestOpened = Infinity;
    for (const cell of totals[line].cells) {
      if (this.cellSuppressed[cell] || this.knownUnavoidable(cell)) continue;
      // A partner that leaves none of its other lines with a lone suppressed cell closes a
      // cycle; one that does will need a partner of its own there.
      const opened = this.linesOpenedBy(cell, line);
      if (
        best === undefined ||
        opened < bestOpened ||
        (opened === bestOpened && cellCounts[cell] < cellCounts[best])
      ) {
        best = cell;
        bestOpened = opened;
      }
    }
    return best;
  }

  /**
   * Before the full computation, the obvious case: a cell that is the only non-zero cell of a
   * total ≥ k is that total, which the conservative attacker knows.
   */
  private knownUnavoidable(cell: number): boolean {
    if (this.unavoidableValues) return this.unavoidableValues.has(cell);
    const { totals, k } = this.table;
    return this.table.cellTotals[cell].some(
      (total) => totals[total].cells.length === 1 && totals[total].count >= k,
    );
  }

  private linesOpenedBy(cell: number, except: number): number {
    let opened = 0;
    for (const line of this.linesThrough(cell))
      if (
        line !== except &&
        this.suppressedCellsIn[line] === 0 &&
        this.table.totals[line].count >= this.table.k
      )
        opened++;
    return opened;
  }

  /**
   * Cells only: this attacker knows every total ≥ k whatever we hide. The target's neighbours
   * first, then any cell, smallest first; never one that attacker computes regardless.
   */
  private repairConservative(target: number): void {
    const tiers = [this.neighbourCells(target), this.cellsBySize].map((tier) =>
      tier.filter((cell) => !this.cellSuppressed[cell] && !this.unavoidable().has(cell)),
    );
    this.hideOneMore(this.conservative, target, tiers);
  }

  /**
   * Reached only for values no choice of cells protects from the conservative attacker, so
   * totals ≥ k may be hidden too. For a total, its siblings come first: that is what the
   * coarser breakdown it belongs to would hide on its own, so separate releases agree more.
   */
  private repairReleaseOnly(target: number): void {
    const isCell = target < this.cellCount;
    const totalIds = (ids: readonly number[]) => ids.map((id) => id + this.cellCount);
    const tiers = (
      isCell
        ? [
            this.neighbourCells(target),
            totalIds([...this.table.cellTotals[target]].sort(this.totalsBySizeOrder)),
            this.cellsBySize,
            totalIds(this.totalsBySize),
          ]
        : [
            totalIds(this.siblingTotals(target - this.cellCount)),
            this.neighbourCells(target),
            this.cellsBySize,
            totalIds(this.totalsBySize),
          ]
    ).map((tier) => tier.filter((u) => this.isReleasedNonZero(u)));
    this.hideOneMore(this.releaseOnlySpace(), target, tiers);
  }

  /**
   * Suppresses the first candidate, tier by tier, that alone stops `target` being computed.
   * If none does, it starts a cycle with the first candidate; the next rounds find the one
   * that closes it through the target (a generic line rule might close it elsewhere).
   */
  private hideOneMore(
    space: ExactRowSpace,
    target: number,
    tiers: readonly (readonly number[])[],
  ): void {
    const hiding = this.firstHiding(space, target, tiers);
    const chosen = hiding ?? tiers.find((tier) => tier.length > 0)?.[0];
    if (chosen === undefined) throw new Error('disclosure audit: nothing left to suppress');
    this.suppress(chosen);
  }

  /** The first unknown, tier by tier, whose suppression alone stops `target` being computed. */
  private firstHiding(
    space: ExactRowSpace,
    target: number,
    tiers: readonly (readonly number[])[],
  ): number | undefined {
    for (const tier of tiers)
      for (const unknown of tier) {
        this.checkDeadline();
        if (space.wouldHide(target, this.column(unknown))) return unknown;
      }
    return undefined;
  }

  /** Cells sharing a line with a cell, or inside a total's slice; smallest first. */
  private neighbourCells(unknown: number): number[] {
    const cells =
      unknown < this.cellCount
        ? this.linesThrough(unknown).flatMap((line) => this.table.totals[line].cells)
        : [...this.table.totals[unknown - this.cellCount].cells];
    return cells.filter((cell) => cell !== unknown).sort(this.bySize);
  }

  /** Totals of the same marginal that differ in exactly one value: the total's own lines. */
  private siblingTotals(total: number): number[] {
    const { subset, coordinates } = this.table.totals[total];
    const siblings: number[] = [];
    for (let id = this.subsetStart[subset]; id < this.subsetStart[subset + 1]; id++) {
      const other = this.table.totals[id].coordinates;
      if (other.filter((value, d) => value !== coordinates[d]).length === 1) siblings.push(id);
    }
    return siblings.sort(this.totalsBySizeOrder);
  }

  private linesThrough(cell: number): number[] {
    const totals = this.table.cellTotals[cell];
    return this.table.lineSubsets.map((subset) => totals[subset]);
  }

  private readonly bySize = (a: number, b: number): number =>
    this.table.cellCounts[a] - this.table.cellCounts[b] || a - b;

  private readonly totalsBySizeOrder = (a: number, b: number): number =>
    this.table.totals[a].count - this.table.totals[b].count || a - b;

  private isReleasedNonZero(unknown: number): boolean {
    if (unknown < this.cellCount)
      return !this.cellSuppressed[unknown] && this.table.cellCounts[unknown] > 0;
    const total = unknown - this.cellCount;
    return !this.totalSuppressed[total] && this.table.totals[total].count > 0;
  }

  private suppress(unknown: number): void {
    if (unknown < this.cellCount) this.suppressCell(unknown);
    else this.suppressTotal(unknown - this.cellCount);
  }

  /** Cheap enough to call in every loop of the planner: one clock read. */
  private checkDeadline(): void {
    if (this.deadline !== Infinity && performance.now() > this.deadline)
      throw new DisclosureBudgetExceeded();
  }

  private suppressCell(cell: number): void {
    this.checkDeadline();
    this.cellSuppressed[cell] = true;
    for (const total of this.table.cellTotals[cell]) this.suppressedCellsIn[total]++;
    for (const line of this.linesThrough(cell)) this.enqueueLine(line);
    this.conservative.add(cell, this.column(cell));
    this.releaseOnly?.add(cell, this.column(cell));
  }

  private suppressTotal(total: number): void {
    this.totalSuppressed[total] = true;
    const unknown = total + this.cellCount;
    // The conservative attacker knows every total ≥ k whatever this release does.
    if (this.table.totals[total].count < this.table.k)
      this.conservative.add(unknown, this.column(unknown));
    this.releaseOnly?.add(unknown, this.column(unknown));
  }

  private enqueueLine(line: number): void {
    if (this.queued[line]) return;
    this.queued[line] = true;
    this.lineQueue.push(line);
  }

  /**
   * Built only when some value is exposed, which is rare: the two attackers then differ. Until
   * then no total ≥ k is suppressed, so this attacker's unknowns are the conservative one's.
   */
  private releaseOnlySpace(): ExactRowSpace {
    return (this.releaseOnly ??= this.conservative.clone());
  }

  /** The conservative attacker's view with every non-zero cell and every small total hidden. */
  private conservativelyUnavoidable(): Set<number> {
    // The conservative space already holds every small total and the suppressed cells.
    const space = this.conservative.clone();
    for (const cell of this.cellsBySize) {
      this.checkDeadline();
      if (!this.cellSuppressed[cell]) space.add(cell, this.column(cell));
    }
    return new Set(space.determined());
  }

  /**
   * A cell appears with +1 in the equation of every total containing it; a total appears with
   * −1 in its own equation. Zero totals contain no non-zero cell, so they never show up.
   */
  private column(unknown: number): SparseColumn {
    return unknown < this.cellCount
      ? { rows: this.table.cellTotals[unknown], sign: 1 }
      : { rows: [unknown - this.cellCount], sign: -1 };
  }
}
