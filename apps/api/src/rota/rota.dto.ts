import { ApiProperty } from '@nestjs/swagger';
import { Tier } from '@mayak/emergency';

/**
 * Response schemas of the rota's routes, for the OpenAPI document (and the web client's types
 * generated from it). The service's interfaces are the source; these describe them.
 */
export class ShiftResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: [1, 2, 3] }) tier!: Tier;
  @ApiProperty({ type: String, format: 'date-time' }) startsAt!: Date;
  @ApiProperty({ type: String, format: 'date-time' }) endsAt!: Date;
}

export class RotaExceptionSummary {
  @ApiProperty({ format: 'date', description: 'The local date of the occurrence' })
  occursOn!: string;
  @ApiProperty({ enum: ['skip', 'replace'] }) kind!: 'skip' | 'replace';
}

export class RecurrenceResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: [1, 2, 3] }) tier!: Tier;
  @ApiProperty({ minimum: 1, maximum: 7, description: 'ISO weekday: 1 Monday … 7 Sunday' })
  weekday!: number;
  @ApiProperty({ example: '20:00', description: 'Wall-clock start in timeZone' })
  startTime!: string;
  @ApiProperty({ description: 'Real minutes' }) durationMinutes!: number;
  @ApiProperty({ format: 'date' }) startsOn!: string;
  @ApiProperty({ type: String, format: 'date', nullable: true }) untilOn!: string | null;
  @ApiProperty({ example: 'Europe/Moscow', description: 'The zone the shift is defined in' })
  timeZone!: string;
  @ApiProperty({ type: [RotaExceptionSummary] }) exceptions!: RotaExceptionSummary[];
}

export class OnCallResponse {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'A one-off shift' })
  shiftId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'A recurring shift' })
  recurrenceId!: string | null;
  @ApiProperty({ type: String, format: 'date', nullable: true }) occursOn!: string | null;
  @ApiProperty({ description: 'An exception gave this occurrence another person or times' })
  replaced!: boolean;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: [1, 2, 3] }) tier!: Tier;
  @ApiProperty({ type: String, format: 'date-time' }) startsAt!: Date;
  @ApiProperty({ type: String, format: 'date-time' }) endsAt!: Date;
}

export class AckTimeouts {
  @ApiProperty({ name: '1' }) one!: number;
  @ApiProperty({ name: '2' }) two!: number;
  @ApiProperty({ name: '3' }) three!: number;
}

export class RotaViewResponse {
  @ApiProperty({ type: [ShiftResponse], description: 'One-off shifts in the window' })
  shifts!: ShiftResponse[];
  @ApiProperty({ type: [RecurrenceResponse], description: 'Recurring shifts not ended before it' })
  recurrences!: RecurrenceResponse[];
  @ApiProperty({
    type: [OnCallResponse],
    description: 'Everyone on call in the window, exceptions applied: what the pager reads',
  })
  onCall!: OnCallResponse[];
  @ApiProperty({ example: 'Europe/Moscow' }) timeZone!: string;
  @ApiProperty({ type: AckTimeouts, description: 'Seconds each tier has to acknowledge' })
  ackTimeoutSeconds!: Record<Tier, number>;
}
