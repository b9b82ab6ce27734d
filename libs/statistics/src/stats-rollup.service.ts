import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  backgroundPace,
  daysByWeek,
  DecryptionError,
  Logger,
  LOGGER,
  markStatsDays,
  rowsOf,
  UrgentWork,
  withSessionLock,
} from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { BucketCells, sumCells } from './bucket-cells';
import { ContactFactsSource } from './contact-facts';
import { countByDay, countInto, DayCounters } from './day-counting';
import { daysBetween, nextMonth } from './periods';
import { RollupBucket, SealedRollups } from './sealed-rollups';

/** New contacts added in one transaction: a bounded share of memory, few round trips. */
const NEW_CONTACTS_PER_BATCH = 5_000;

/**
 * The new-contact marks among these contacts, locked in key order (two takers never wait on
 * each other in a circle; one another transaction holds is waited for) and deleted. Returns
 * those there were.
 *
 * Two statements, each a scan of one table, rather than `DELETE … WHERE contact_id IN (SELECT
 * … FOR UPDATE)`: the marks' table fills and empties all day, so its statistics are often
 * those of an emptier table, and on them PostgreSQL joined the two as a nested loop that ran
 * the locking sub-select again for every mark (18 s and 55 million buffer reads for 5,948 marks
 * in a bench run, then the statement timeout; test/statistics/rollup-marks.e2e-spec.ts). The
 * ids as an array constant are planned for their real number.
 */
async function takeMarks(em: EntityManager, contactIds: readonly string[]): Promise<string[]> {
  if (contactIds.length === 0) return [];
  const locked = rowsOf<{ contact_id: string }>(
    await em.query(
      `SELECT contact_id FROM stats_new_contacts WHERE contact_id = ANY($1::uuid[])
        ORDER BY contact_id FOR UPDATE`,
      [contactIds],
    ),
  ).map((r) => r.contact_id);
  return deleteMarks(em, locked);
}

/** Deletes marks this transaction has locked; returns their contacts. */
async function deleteMarks(em: EntityManager, locked: string[]): Promise<string[]> {
  if (locked.length > 0)
    await em.query(`DELETE FROM stats_new_contacts WHERE contact_id = ANY($1::uuid[])`, [locked]);
  return locked;
}

/**
 * Keeps the sealed daily and monthly rollups current, counting in memory from the contacts'
 * facts (ContactFactsSource) and never by SQL over their categories.
 *
 * The incremental run first adds the contacts marked new (by ContactRecords, at intake): it
 * opens only their facts, and adds their cells to the stored rollups of their days and months,
 * so its cost follows what is new, not what is stored. Then it counts again the days marked
 * dirty (markStatsDays: a withdrawn statistics consent, a retired part sealed late, a new
 * contact retention deleted before it was added), each from its week of contacts, and their
 * months as the sum of their days. Every stored row stays the count of a known set of
 * contacts: a mark goes in the transaction that writes its contact's cells, be it added alone
 * or counted with its day. The nightly full run counts everything again, so any drift lasts a
 * day at most; a database whose rollups were never built (a new one, or one just upgraded to
 * sealed rollups) gets a full run from the first incremental one. Both take an advisory lock,
 * so two builders never run at once.
 */
@Injectable()
export class StatsRollupService {
  /** Between slices of counting: in the worker, emergency work goes first (UrgentWork). */
  private readonly pace: () => Promise<void>;

  constructor(
    private readonly db: DataSource,
    private readonly facts: ContactFactsSource,
    private readonly rollups: SealedRollups,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() urgent?: UrgentWork,
  ) {
    this.pace = backgroundPace(urgent);
  }

  /**
   * With `ifIdle`, skipped (returns undefined) while another build runs: that build, or the
   * next (at the latest the minutely catch-up), covers what changed.
   */
  async incremental(
    options: { ifIdle?: boolean } = {},
  ): Promise<{ contacts: number; days: number; months: number } | undefined> {
    return this.locked(options.ifIdle ? 'try' : 'wait', async (em) => {
      const [{ never }] = await em.query<Array<{ never: boolean }>>(
        `SELECT last_full_build IS NULL AS never FROM stats_rollup_state`,
      );
      if (never) return { contacts: 0, ...(await this.rebuildEverything(em)) };
      // New contacts first: a stored row they cannot be added to is marked dirty, for below.
      const contacts = await this.addNewContacts(em);
      const days = await this.claimDirtyDays(em);
      const months = await this.rebuild(em, days, 'changed');
      return { contacts, days: days.length, months: months.length };
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
    const facts = await this.facts.ofContacts(em, contactIds);
    for (const [day, cells] of await countByDay(facts, this.pace))
      await this.rollups.addRetired(em, day, cells);
    // A contact still marked new is in no rollup yet, and its facts go now: its day is counted
    // again instead, its cells coming from the retired part. A mark the builder holds is being
    // added: wait for it (then it is gone, and the contact in its rollup like any other).
    const pending = new Set(await takeMarks(em, contactIds));
    await markStatsDays(
      em,
      facts.filter((f) => pending.has(f.id)).map((f) => f.day),
    );
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
   * Adds the contacts marked new to the rollups of their days and months, a batch to a
   * transaction that takes their marks (skipping any that retention is taking), opens their
   * facts (and no other contact's) and writes the rows: the marks go with the cells they add,
   * and a build that dies adds nothing. Returns how many it added.
   */
  private async addNewContacts(em: EntityManager): Promise<number> {
    let added = 0;
    for (;;) {
      const taken = await em.transaction(async (tx) => {
        const ids = await deleteMarks(
          tx,
          rowsOf<{ contact_id: string }>(
            await tx.query(
              `SELECT contact_id FROM stats_new_contacts ORDER BY contact_id
                LIMIT $1 FOR UPDATE SKIP LOCKED`,
              [NEW_CONTACTS_PER_BATCH],
            ),
          ).map((r) => r.contact_id),
        );
        // A contact gone meanwhile took its mark with it (retire), so every mark here is one.
        await this.addToRollups(
          tx,
          await countByDay(await this.facts.ofContacts(tx, ids), this.pace),
        );
        return ids.length;
      });
      added += taken;
      if (taken < NEW_CONTACTS_PER_BATCH) return added;
    }
  }

  /**
   * Adds cells to the stored rollups of their days and of those days' months: each row read
   * (one day's, one month's) and written once, whatever the number of contacts it holds. A
   * stored row that does not open (restored from a backup whose master key has been destroyed
   * since) cannot be added to: its days are marked, to be counted again from their contacts.
   */
  private async addToRollups(tx: EntityManager, byDay: Map<string, BucketCells>): Promise<void> {
    for (const [month, days] of byMonth([...byDay.keys()])) {
      let storedDays: Map<string, BucketCells>;
      let storedMonth: BucketCells | undefined;
      try {
        storedDays = await this.rollups.loadBuckets(tx, 'day', days);
        storedMonth = (await this.rollups.loadBuckets(tx, 'month', [month])).get(month);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        this.logger.warn({ month }, 'statistics: a stored row does not open; counting days again');
        await markStatsDays(tx, days);
        continue;
      }
      const added = days.map((day) => byDay.get(day)!);
      for (const [i, day] of days.entries()) {
        const stored = storedDays.get(day);
        await this.rollups.write(tx, 'day', day, stored ? sumCells([stored, added[i]]) : added[i]);
      }
      await this.rollups.write(
        tx,
        'month',
        month,
        sumCells(storedMonth ? [storedMonth, ...added] : added),
      );
    }
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
    const months = byMonth(days);
    for (const [month, monthDays] of months) await this.rebuildMonth(em, month, monthDays, scope);
    return [...months.keys()];
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
    // Days counted afresh leave the stored month behind until it is written, and new contacts
    // are added to the month as stored: a rebuild that dies in between leaves the days marked
    // (claimed), so that the next run writes the month again. Changed days are marked already.
    if (scope === 'all')
      await em.query(
        `INSERT INTO stats_dirty_days (day, claimed) SELECT unnest($1::date[]), true`,
        [days],
      );
    const fresh: BucketCells[] = [];
    // A week at a time: the clear dates contacts by the week, so a read of days is a read of
    // their weeks (ContactFactsSource.ofDays); days of two weeks would read both whole.
    for (const chunk of daysByWeek(days)) {
      const { cells: counted, contactIds } = await this.count(em, chunk);
      // The contacts counted here are in their days now: a new one's mark goes with them.
      await em.transaction(async (tx) => {
        for (const day of chunk) {
          const cells = counted.get(day);
          await this.rollups.write(tx, 'day', day, cells);
          if (cells) fresh.push(cells);
        }
        await takeMarks(tx, contactIds);
      });
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
   * that a contact retention moves from one to the other meanwhile counts exactly once; and
   * the contacts counted (a new contact committed later is neither among them nor counted).
   */
  private count(
    em: EntityManager,
    days: readonly string[],
  ): Promise<{ cells: Map<string, BucketCells>; contactIds: string[] }> {
    return em.transaction('REPEATABLE READ', async (tx) => {
      const counted = new DayCounters();
      const contacts = await this.facts.ofDays(tx, days);
      await countInto(counted, contacts, this.pace);
      for (const [day, cells] of await this.rollups.loadRetired(tx, days))
        counted.of(day).addCells(cells);
      return { cells: counted.cells(), contactIds: contacts.map((c) => c.id) };
    });
  }
}

/** Days (YYYY-MM-DD) by the month they fall in (its first day), in the order given. */
function byMonth(days: Iterable<string>): Map<string, string[]> {
  const months = new Map<string, string[]>();
  for (const day of days) {
    const month = `${day.slice(0, 7)}-01`;
    months.set(month, [...(months.get(month) ?? []), day]);
  }
  return months;
}
