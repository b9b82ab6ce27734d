import { Inject, Injectable } from '@nestjs/common';
import { ExactTimes, Logger, LOGGER, statsWeekOf, AppConfig } from '@mayak/platform';
import { DataSource } from 'typeorm';

/**
 * The tables whose rows are about a call (or tell when a case moved), each with a column the
 * rewrite sets to itself. The audit trail is not among them: it keeps its exact times, for
 * forensics, and is append-only.
 *
 * A pass holds every row it rewrites until it commits, and the work that waits for such a row
 * waits that long: routing for its case's row (and it skips colleagues whose rows are held),
 * intake for a repeat caller's, paging for its page's. So the rows that work locks are taken
 * last, the smallest last of all, and held for the end of the pass only, not the whole of it.
 */
export const RESTAMPED_TABLES: ReadonlyArray<readonly [table: string, column: string]> = [
  ['contacts', 'id'],
  ['contact_facts', 'contact_id'],
  ['consents', 'id'],
  ['case_events', 'case_id'],
  ['case_notes', 'id'],
  ['case_follow_ups', 'id'],
  ['case_handovers', 'id'],
  ['notifications', 'id'],
  ['break_glass_grants', 'id'],
  ['webhook_deliveries', 'notification_id'],
  ['idempotency_keys', 'key'],
  ['callers', 'id'],
  ['emergency_pages', 'case_id'],
  ['cases', 'id'],
  ['staff_availability', 'user_id'],
];

export interface RestampResult {
  rows: number;
  /** Whether this pass closed a week: the rows it rewrote keep its transaction id for good. */
  closedWeek: boolean;
}

/**
 * Every row carries the id of the transaction that wrote it (`xmin`, readable by any SQL
 * reader), ids grow with time, and the audit trail pairs ids with exact times: so a row's
 * `xmin` dates it to the second, and the consent, case or notification it belongs to with it,
 * however coarse their own columns are. Each pass rewrites, in one transaction, every row of
 * these tables written since the week began (Monday, in STATS_TIMEZONE): they all take this
 * pass's id. The first pass of a new week rewrites the last of the week before, and from then
 * on those rows keep its id. So a week's rows are dated by the week, as their own columns are
 * (docs/security/metadata.md, "Weeks"), and only rows written since the last (hourly) pass
 * still carry their own ids. (`row_restamps.day` holds the week's Monday.) Rows locked by a running change are skipped; that
 * change gives them a newer id, and the next pass takes them.
 *
 * What it does not reach: the old versions of rewritten rows stay on disk until VACUUM frees
 * their space and something overwrites it, and the WAL holds every write (seizure.md).
 */
@Injectable()
export class RowRestamp {
  constructor(
    private readonly db: DataSource,
    private readonly times: ExactTimes,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async pass(): Promise<RestampResult> {
    const result = await this.db.transaction(async (em) => {
      const [{ xid }] = await em.query<Array<{ xid: string }>>(
        `SELECT txid_current()::text AS xid`,
      );
      const [state] = await em.query<Array<{ since_xid: string; day: string | null }>>(
        `SELECT since_xid::text, day::text FROM row_restamps FOR UPDATE`,
      );
      const since = BigInt(state.since_xid);
      // How many transactions back the week's first write can be: age(xmin) counts from ours.
      const window = since === 0n ? undefined : (BigInt(xid) - since).toString();
      let rows = 0;
      for (const [table, column] of RESTAMPED_TABLES) {
        const updated: [unknown, number] = await em.query(
          `UPDATE ${table} SET ${column} = ${column}
            WHERE ctid = ANY (ARRAY (SELECT ctid FROM ${table}
                                      ${window ? 'WHERE age(xmin) < $1::bigint' : ''}
                                      FOR UPDATE SKIP LOCKED))`,
          window ? [window] : [],
        );
        rows += updated[1];
      }
      const thisWeek = statsWeekOf(this.times.now(), this.config.STATS_TIMEZONE);
      const closedWeek = state.day !== thisWeek;
      if (closedWeek)
        await em.query(`UPDATE row_restamps SET since_xid = $1::bigint, day = $2::date`, [
          xid,
          thisWeek,
        ]);
      return { rows, closedWeek };
    });
    if (result.rows > 0) this.logger.info(result, 'rows restamped');
    return result;
  }
}
