import { ApiProperty } from '@nestjs/swagger';
import { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { CASE_DIMENSIONS, DIMENSIONS, Measure, Period, PERIODS } from '@mayak/statistics';

/** Every dimension a count can be broken down by, for contacts or for cases. */
export const STAT_DIMENSIONS = [...new Set<string>([...DIMENSIONS, ...CASE_DIMENSIONS])];

/**
 * One published count: its period, a code for each dimension of the breakdown (named after
 * the dimension, e.g. `region`), and the count, or null when disclosure control withheld it.
 * Inline rather than a class: its other keys are the dimensions asked for.
 */
const STATS_ROW: SchemaObject = {
  type: 'object',
  required: ['period', 'count'],
  properties: {
    period: { type: 'string', example: '2026-11', description: 'A day, week, month or quarter' },
    count: { type: 'number', nullable: true, description: 'null: suppressed' },
    suppressed: { type: 'boolean', enum: [true] },
  },
  // The dimensions' codes; typed as widely as the named keys so that clients can index rows.
  additionalProperties: {
    description: 'The code of a dimension of the breakdown',
    nullable: true,
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
  },
};

export interface StatsRow {
  period: string;
  count: number | null;
  suppressed?: true;
  [dimension: string]: string | number | boolean | null | undefined;
}

export class StatsResponse {
  @ApiProperty({ description: 'No published count is below k' }) k!: number;
  @ApiProperty({ enum: PERIODS }) period!: Period;
  @ApiProperty({ enum: ['contacts', 'cases'] }) measure!: Measure;
  @ApiProperty({ enum: STAT_DIMENSIONS, isArray: true }) groupBy!: string[];
  @ApiProperty({ format: 'date', description: 'The first day counted (widened to the period)' })
  from!: string;
  @ApiProperty({ format: 'date', description: 'The last day counted' }) to!: string;
  @ApiProperty({
    example: 'Europe/Moscow',
    description: 'The IANA zone whose calendar the periods are days, weeks, months of',
  })
  timeZone!: string;
  @ApiProperty({ type: 'array', items: STATS_ROW }) rows!: StatsRow[];
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Contacts of the answer’s months without consent to statistics, whatever the filter: in plain counts, never in breakdowns. null when withheld like a cell.',
  })
  excludedWithoutConsent!: number | null;
  @ApiProperty({
    type: [String],
    description: 'Periods whose breakdown was withheld whole (too fine to protect, or not in time)',
  })
  withheldPeriods!: string[];
}
