import { Injectable, PipeTransform } from '@nestjs/common';
import {
  CASE_DIMENSIONS,
  CaseDimension,
  Dimension,
  DIMENSION,
  DIMENSIONS,
  Measure,
  Period,
  PERIODS,
  StatsQuery,
} from '@mayak/statistics';
import { RequestValidationError } from '../http/validation';

/** The query string of GET /api/stats, as it arrives. */
export type RawStatsQuery = Record<string, string | string[] | undefined>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Dates the statistics answer for: the helpline's years, with room on both sides. */
const FIRST_DATE = '2000-01-01';
const LAST_DATE = '2099-12-31';

/** A real day of the calendar (not 2026-02-30), written YYYY-MM-DD, within the years above. */
function isStatsDate(value: string | undefined): value is string {
  if (!value || !DATE.test(value) || value < FIRST_DATE || value > LAST_DATE) return false;
  const day = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === value;
}
const CASE_VALUES: Record<CaseDimension, readonly string[]> = {
  service: ['legal', 'psych', 'emergency'],
  status: ['queued', 'assigned', 'in_progress', 'closed'],
  outcome: [
    'open',
    'resolved',
    'referred_out',
    'no_contact',
    'declined_by_caller',
    'other',
    'withdrawn',
  ],
  region: DIMENSION.region.values,
};
const OTHER_PARAMS = ['from', 'to', 'period', 'groupBy', 'measure', 'format'];

/**
 * Turns the query string into a StatsQuery, naming every bad parameter: unknown dimensions or
 * values, dates that are not dates, repeated parameters, a filter of more than one value.
 * Filters are `<dimension>=<value>`.
 */
@Injectable()
export class StatsQueryPipe implements PipeTransform<
  RawStatsQuery,
  StatsQuery & { format?: string }
> {
  transform(raw: RawStatsQuery): StatsQuery & { format?: string } {
    // A Map, not an object: parameter names come from the client ("__proto__" among them).
    const fields = new Map<string, string[]>();
    const bad = (field: string, message: string) =>
      fields.set(field, [...(fields.get(field) ?? []), message]);
    const single = (name: string): string | undefined => {
      const value = raw[name];
      if (Array.isArray(value)) {
        bad(name, `${name} must be given once`);
        return undefined;
      }
      return value;
    };
    const list = (name: string): string[] =>
      (single(name) ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);

    const measure = (single('measure') ?? 'contacts') as Measure;
    if (measure !== 'contacts' && measure !== 'cases')
      bad('measure', 'measure must be contacts or cases');
    const dimensions: readonly string[] = measure === 'cases' ? CASE_DIMENSIONS : DIMENSIONS;
    const valuesOf = (d: string): readonly string[] =>
      measure === 'cases' ? CASE_VALUES[d as CaseDimension] : DIMENSION[d as Dimension].values;

    const from = single('from');
    const to = single('to');
    const dateRule = `must be a calendar date, YYYY-MM-DD, from ${FIRST_DATE} to ${LAST_DATE}`;
    if (!isStatsDate(from)) bad('from', `from ${dateRule}`);
    if (!isStatsDate(to)) bad('to', `to ${dateRule}`);
    const period = (single('period') ?? 'month') as Period;
    if (!PERIODS.includes(period)) bad('period', `period must be one of: ${PERIODS.join(', ')}`);
    const groupBy = list('groupBy');
    for (const d of groupBy)
      if (!dimensions.includes(d))
        bad('groupBy', `groupBy must name dimensions among: ${dimensions.join(', ')}`);
    if (new Set(groupBy).size !== groupBy.length)
      bad('groupBy', 'groupBy must not repeat a dimension');
    const format = single('format');
    if (format !== undefined && format !== 'json' && format !== 'csv')
      bad('format', 'format must be json or csv');

    const filters: StatsQuery['filters'] = Object.create(null) as StatsQuery['filters'];
    for (const name of Object.keys(raw)) {
      if (!Object.prototype.hasOwnProperty.call(raw, name)) continue;
      if (OTHER_PARAMS.includes(name)) continue;
      if (!dimensions.includes(name)) {
        // Not named back: the name is whatever the client sent.
        bad(
          'query',
          `unknown parameter; the parameters are ${OTHER_PARAMS.join(', ')} and filters among: ${dimensions.join(', ')}`,
        );
        continue;
      }
      const values = list(name);
      const allowed = valuesOf(name);
      if (values.length === 0 || values.some((v) => !allowed.includes(v)))
        bad(name, `each ${name} must be one of its vocabulary's codes`);
      // Two answers whose filters differ by one value would give that value's count away.
      else if (values.length > 1)
        bad(name, `${name} takes one value; ask for a breakdown by ${name} to see several`);
      filters[name as Dimension] = values;
    }
    if (fields.size) throw new RequestValidationError(Object.fromEntries(fields));
    return Object.assign(
      { from: from!, to: to!, period, measure, groupBy: groupBy as StatsQuery['groupBy'], filters },
      { format },
    );
  }
}
