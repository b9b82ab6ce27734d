import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The one shape of every error response. Never a stack trace, never SQL, never input values. */
export interface ErrorBody {
  statusCode: number;
  /** A stable, machine-readable code. */
  error: string;
  message: string;
  /** For 400s: each bad field and what is wrong with it. */
  fields?: Record<string, string[]>;
  /** For 500s: quote this to an operator; the log has the details under the same id. */
  errorId?: string;
}

/** ErrorBody as the OpenAPI document describes it, so clients can rely on the shape. */
export class ErrorResponse implements ErrorBody {
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status' })
  statusCode!: number;

  @ApiProperty({
    pattern: '^[a-z][a-z0-9_]*$',
    example: 'validation_failed',
    description: 'A stable, machine-readable code',
  })
  error!: string;

  @ApiProperty({ example: 'The request is not valid.' })
  message!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    example: { username: ['username must be a string'] },
    description: 'For 400s: each bad field (a dotted path) and what is wrong with it',
  })
  fields?: Record<string, string[]>;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'For 500s: quote this to an operator; the log has the details under it',
  })
  errorId?: string;
}
