import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONSENT_SCOPES, ConsentScope } from '@mayak/access';

/**
 * POST /api/callers/:id/consent/withdraw: what changed at once, and, with `pendingId`, that
 * the rest waits in the coordinators' queue.
 */
export class WithdrawalReceiptResponse {
  @ApiProperty({ format: 'uuid' }) callerId!: string;
  @ApiProperty({ enum: CONSENT_SCOPES, isArray: true }) withdrawn!: ConsentScope[];
  @ApiProperty({
    type: [String],
    description: 'Open cases of a withdrawn service, closed as withdrawn',
  })
  closedCaseIds!: string[];
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The rest of the withdrawal, waiting for a coordinator (GET /api/withdrawals)',
  })
  pendingId?: string;
}

/** GET /api/withdrawals: a consent withdrawal waiting for a coordinator; it names no caller. */
export class PendingWithdrawalResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: CONSENT_SCOPES, isArray: true }) scopes!: ConsentScope[];
  @ApiProperty({ format: 'uuid' }) requestedBy!: string;
  @ApiProperty({ description: 'The asker’s staff name' }) requestedByUsername!: string;
  @ApiProperty({ type: String, format: 'date-time' }) requestedAt!: Date;
  @ApiProperty({ enum: ['pending', 'confirmed'] }) status!: 'pending' | 'confirmed';
  @ApiProperty({
    type: String,
    format: 'date-time',
    description:
      'When a confirmed one is applied: from the start of the second day after the request',
  })
  notBefore!: Date;
}
