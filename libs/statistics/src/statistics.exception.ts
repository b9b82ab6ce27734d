import { DomainException } from '@mayak/platform/errors';

export enum StatisticsError {
  /** The disclosure threshold k is below the floor the helpline agreed on (5). */
  ThresholdTooLow = 'disclosure_threshold_too_low',
  /** The table handed to disclosure control is malformed (the message names what). */
  InvalidTable = 'invalid_statistics_table',
  /** The statistics query itself is not acceptable (dates, range). */
  InvalidQuery = 'invalid_statistics_query',
}

/**
 * Thrown for a table or threshold that disclosure control refuses. Messages name the field
 * and the rule, never a dimension value or a count, so they are safe to return and to log.
 */
export class StatisticsException extends DomainException<StatisticsError> {
  constructor(code: StatisticsError, field: string, problem: string) {
    super(code, `${field}: ${problem}`, { [field]: [problem] });
  }
}
