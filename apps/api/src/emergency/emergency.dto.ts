import { ApiProperty } from '@nestjs/swagger';
import { CASE_STATUSES } from '../cases/case.dto';

/** GET /api/emergencies: an open emergency the reader was paged for or holds, with its clock. */
export class EmergencyEntryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null if its facts do not open' })
  region!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ description: 'The tier paged now: 1, 2, or 3 (coordinators)' }) tier!: number;
  @ApiProperty({ description: 'How many times the tiers went round' }) round!: number;
  @ApiProperty({ type: String, format: 'date-time' }) pagedAt!: Date;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the current tier’s time to acknowledge runs out; null once acknowledged',
  })
  ackDueAt!: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  acknowledgedAt!: Date | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assigneeId!: string | null;
  @ApiProperty({
    description:
      'Whether the caller consented to emergency help; without it, details need break-glass',
  })
  consented!: boolean;
}

export class BreakGlassGrantResponse {
  @ApiProperty({ type: String, format: 'date-time', description: 'The access ends then' })
  expiresAt!: Date;
}

export class EscalationResponse {
  @ApiProperty({ format: 'uuid', description: 'The emergency case opened from this one' })
  emergencyCaseId!: string;
}
