import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';

export class SetFollowUpRequest {
  @ApiProperty({
    example: '2026-12-24',
    description:
      'The day to call the caller back (YYYY-MM-DD, in the helpline’s time zone): today or later, within a year',
  })
  @IsString()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'dueOn must be a date such as 2026-12-24' })
  dueOn!: string;

  @ApiPropertyOptional({
    maxLength: 2000,
    description: 'Encrypted at rest; seen only by this case’s assignee',
  })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  note?: string;
}

export class FollowUpResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: '2026-12-24' }) dueOn!: string;
  @ApiProperty({ enum: ['open', 'done', 'cancelled'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) note!: string | null;
  @ApiProperty({ format: 'uuid' }) setBy!: string;
  @ApiProperty() notified!: boolean;
  @ApiProperty() overdue!: boolean;
}

export class FollowUpStatusResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['open', 'done', 'cancelled'] }) status!: string;
}

export class HandOverRequest {
  @ApiProperty({ format: 'uuid', description: 'A colleague of the same service' })
  @IsUUID('all', { message: 'toId must be a UUID' })
  toId!: string;

  @ApiProperty({
    maxLength: 5000,
    description: 'Why, and what the colleague needs to know; encrypted at rest',
  })
  @IsString()
  @Length(1, 5000)
  note!: string;
}

export class HandoverCreatedResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
}

export class ColleagueResponse {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
}

export class IncomingHandoverResponse {
  @ApiProperty({ format: 'uuid' }) handoverId!: string;
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty({ enum: ['legal', 'psych'] }) service!: string;
  @ApiProperty() priority!: number;
  @ApiProperty({ format: 'uuid' }) fromId!: string;
  @ApiProperty({ nullable: true, type: String }) fromName!: string | null;
  @ApiProperty({ format: 'date-time' }) offeredAt!: Date;
}

class OverdueFollowUp {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty() service!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) assigneeId!: string | null;
  @ApiProperty({ example: '2026-12-24' }) dueOn!: string;
  @ApiProperty({ description: 'The day is over (not just begun)' }) overdue!: boolean;
}

class UnansweredHandover {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) caseId!: string;
  @ApiProperty() service!: string;
  @ApiProperty({ format: 'uuid' }) fromId!: string;
  @ApiProperty({ format: 'uuid' }) toId!: string;
  @ApiProperty({ format: 'date-time' }) offeredAt!: Date;
}

export class OverdueWorkResponse {
  @ApiProperty({ type: [OverdueFollowUp] }) followUps!: OverdueFollowUp[];
  @ApiProperty({ type: [UnansweredHandover] }) handovers!: UnansweredHandover[];
}
