import { Inject, Injectable } from '@nestjs/common';
import {
  daysByWeek,
  DecryptionError,
  Logger,
  LOGGER,
  rowsOf,
  withSessionLock,
} from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { BucketCells, CellCounter, sumCells } from './bucket-cells';
import { ContactFacts, ContactFactsSource } from './contact-facts';
import { daysBetween, nextMonth } from './periods';
import { RollupBucket, SealedRollups } from './sealed-rollups';

/** Days whose contacts are read in one snapshot: a bounded share of memory, few round trips. */

/**
 * Keeps the sealed daily and monthly rollups current, counting in memory from the contacts'
 * facts (ContactFactsSource) and never by SQL over their categories. The incremental run
 * rebuilds the days marked dirty (markStatsDays: new contacts, withdrawn statistics consent)
 * and the months they fall in; the nightly full run rebuilds everything, so any drift lasts a
 * day at most; a database whose rollups were never built (a new one, or one just upgraded to
 * sealed rollups) gets a full run from the first incremental one. Both take an advisory lock,
 * so two builders never run at once.
 */
@Injectable()
export class StatsRollupService {
  constructor(
    private readonly db: DataSource,
    private readonly facts: ContactFactsSource,
    private readonly rollups: SealedRollups,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * With `ifIdle`, skipped (returns undefined) while another build runs: that build, or the
   * next (at the latest the minutely catch-up), covers what changed.
   */
  async incremental(
    options: { ifIdle?: boolean } = {},
  ): Promise<{ days: number; months: number } | undefined> {
    return this.locked(options.ifIdle ? 'try' : 'wait', async (em) => {
      const [{ never }] = await em.query<Array<{ never: boolean }>>(
        `SELECT last_full_build IS NULL AS never FROM stats_rollup_state`,
      );
      if (never) return this.rebuildEverything(em);
      const days = await this.claimDirtyDays(em);
      const months = await this.rebuild(em, days, 'changed');
      return { days: days.length, months: months.length };
    });
  }

  /**
   * Everything from scratch: every day with contacts or retired cells, then drops the rows of
   * days and months that no longer have any.
   */
  async full(): Promise<{ days: number; months: number } | undefined> {
    const result = await this.locked('wait', (em) => this.rebuildEverything(em));
    if (result) this.logger.info(result, 'statistics rollups rebuilt');
    return result;
  }

  /**
   * Adds the statistics of contacts about to be deleted to the sealed retired part of their
   * days, inside the deleting transaction: the rollups stay exactly as they were (every
   * rebuild adds the retired part back), and no row is left that refers to the contacts.
   */
  async retire(em: EntityManager, contactIds: string[]): Promise<void> {
    if (contactIds.length === 0) return;
    for (const [day, cells] of countByDay(await this.facts.ofContacts(em, contactIds)))
      await this.rollups.addRetired(em, day, cells);
  }

  /**
   * Runs with the build lock held for the whole session: never two builders at once. An
   * incremental build does not queue behind another ('try'): it would hold a pooled connection
   * only to redo what the running build covers.
   */
  private locked<T>(
    mode: 'try' | 'wait',
    work: (em: EntityManager) => Promise<T>,
  ): Promise<T | undefined> {
    return withSessionLock(this.db, 'mayak.stats-rollup', mode, work);
  }

  /**
   * Takes the days marked so far, committed before any contact is read: a contact committed
   * later has a mark of its own, left for the next run. The marks go when their month is
   * written; a build that dies leaves them claimed, and the next one takes them again.
   */
  private async claimDirtyDays(em: EntityManager): Promise<string[]> {
    const claimed = rowsOf<{ day: string }>(
      await em.query(`UPDATE stats_dirty_days SET claimed = true RETURNING day::text AS day`),
    );
    return [...new Set(claimed.map((r) => r.day))].sort();
  }

  private async rebuildEverything(em: EntityManager): Promise<{ days: number; months: number }> {
    const claimed = await this.claimDirtyDays(em);
    const days = [
      ...new Set([
        ...(await this.facts.allDays(em)),
        ...(await this.rollups.retiredDays(em)),
        ...claimed,
      ]),
    ].sort();
    const months = await this.rebuild(em, days, 'all');
    await this.rollups.keepOnly(em, 'day', days);
    await this.rollups.keepOnly(em, 'month', months);
    await em.query(`UPDATE stats_rollup_state SET last_full_build = now()`);
    return { days: days.length, months: months.length };
  }

  /** Rebuilds the given days and the months they fall in; returns the months. */
  private async rebuild(
    em: EntityManager,
    days: readonly string[],
    scope: 'changed' | 'all',
  ): Promise<string[]> {
    const byMonth = new Map<string, string[]>();
    for (const day of days) {
      const month = `${day.slice(0, 7)}-01`;
      byMonth.set(month, [...(byMonth.get(month) ?? []), day]);
    }
    for (const [month, monthDays] of byMonth) await this.rebuildMonth(em, month, monthDays, scope);
    return [...byMonth.keys()];
  }

  /**
   * Rebuilds days of one month (each written on its own, so dashboards keep reading), then
   * the month as the sum of its days: those rebuilt here, and (unless every day of it is
   * being rebuilt) the others as stored.
   */
  private async rebuildMonth(
    em: EntityManager,
    month: string,
    days: readonly string[],
    scope: 'changed' | 'all',
  ): Promise<void> {
    const fresh: BucketCells[] = [];
    // A week at a time: the clear dates contacts by the week, so a read of days is a read of
    // their weeks (ContactFactsSource.ofDays); days of two weeks would read both whole.
    for (const chunk of daysByWeek(days)) {
      const counted = await this.count(em, chunk);
      for (const day of chunk) {
        const cells = counted.get(day);
        await this.rollups.write(em, 'day', day, cells);
        if (cells) fresh.push(cells);
      }
    }
    let others: RollupBucket[] = [];
    if (scope === 'changed')
      try {
        others = await this.rollups.load(em, 'day', month, nextMonth(month), days);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        // A stored day that does not open (restored from a backup whose master key has been
        // destroyed since): count the whole month again instead.
        this.logger.warn({ month }, 'statistics: a stored day does not open; rebuilding its month');
        return this.rebuildMonth(em, month, daysBetween(month, nextMonth(month)), 'all');
      }
    // The days' marks go with the month they add up to: a build that dies before leaves them.
    await em.transaction(async (tx) => {
      await this.rollups.write(
        tx,
        'month',
        month,
        sumCells([...fresh, ...others.map((o) => o.cells)]),
      );
      await tx.query(`DELETE FROM stats_dirty_days WHERE claimed AND day = ANY($1::date[])`, [
        days,
      ]);
    });
  }

  /**
   * The cells of these days: their contacts and their retired part, read in one snapshot, so
   * that a contact retention moves from one to the other meanwhile counts exactly once.
   */
  private count(em: EntityManager, days: readonly string[]): Promise<Map<string, BucketCells>> {
    return em.transaction('REPEATABLE READ', async (tx) => {
      const counted = new DayCounters();
      for (const contact of await this.facts.ofDays(tx, days))
        counted.of(contact.day).addContact(contact);
      for (const [day, cells] of await this.rollups.loadRetired(tx, days))
        counted.of(day).addCells(cells);
      return counted.cells();
    });
  }
}

/** A CellCounter per day. */
class DayCounters {
  private readonly counters = new Map<string, CellCounter>();

  of(day: string): CellCounter {
    let counter = this.counters.get(day);
    if (!counter) this.counters.set(day, (counter = new CellCounter()));
    return counter;
  }

  cells(): Map<string, BucketCells> {
    return new Map([...this.counters].map(([day, counter]) => [day, counter.cells()]));
  }
}

/** Each day's cells of these contacts. */
function countByDay(contacts: readonly ContactFacts[]): Map<string, BucketCells> {
  const counted = new DayCounters();
  for (const contact of contacts) counted.of(contact.day).addContact(contact);
  return counted.cells();
}
