import { Dimension } from './dimensions';
import { Period } from './periods';

export type Measure = 'contacts' | 'cases';

/** Breakdowns of cases: by service, status, outcome and region, counted when the case was opened. */
export const CASE_DIMENSIONS = ['service', 'status', 'outcome', 'region'] as const;
export type CaseDimension = (typeof CASE_DIMENSIONS)[number];

export interface StatsQuery {
  /** Calendar dates (YYYY-MM-DD), inclusive; widened to whole periods. */
  from: string;
  to: string;
  period: Period;
  measure: Measure;
  groupBy: Array<Dimension | CaseDimension>;
  /** Dimension → the values to keep. */
  filters: Partial<Record<Dimension | CaseDimension, string[]>>;
}

export interface StatsRow {
  period: string;
  count: number | null;
  suppressed?: true;
  [dimension: string]: string | number | null | true | undefined;
}

export interface StatsResult {
  k: number;
  period: Period;
  measure: Measure;
  groupBy: string[];
  /** The whole periods actually counted (the request widened to period boundaries). */
  from: string;
  to: string;
  /** The IANA time zone whose calendar days (and so weeks, months, quarters) are counted: STATS_TIMEZONE. */
  timeZone: string;
  rows: StatsRow[];
  /**
   * Contacts (or cases) in the answer's months whose caller did not consent to statistics:
   * counted in plain totals (so 0 in those), never in a breakdown. All of them, whatever the
   * filter. Null (suppressed) when some month's count is between 1 and k − 1, or that
   * month's plain total is suppressed (the total less the breakdown's would give it away).
   */
  excludedWithoutConsent: number | null;
  /**
   * Periods whose breakdown was withheld entirely (every non-zero cell suppressed): it could
   * not be protected without hiding totals other answers publish, or not within the time
   * budget of disclosure control. Fewer dimensions or a longer period usually help.
   */
  withheldPeriods: string[];
}
