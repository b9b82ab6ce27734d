import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsUUID,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { Recurrence, RotaService, RotaView, Shift, Tier } from '@mayak/emergency';
import { Actor } from '@mayak/identity';
import { IsAfter } from '../http/is-after';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
import { IsLocalDate, LocalDatePipe } from './local-date';
import { AckTimeouts, RecurrenceResponse, RotaViewResponse, ShiftResponse } from './rota.dto';
import { TierPipe } from './tier.pipe';

const dateMessage = (name: string) => ({ message: `${name} must be an ISO 8601 date-time` });

export class AddShiftRequest {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;

  @ApiProperty({ enum: [1, 2, 3], description: '1 and 2: responders; 3: coordinators on duty' })
  @IsIn([1, 2, 3], { message: 'tier must be 1, 2 or 3' })
  tier!: Tier;

  @ApiProperty({ type: String, format: 'date-time' })
  @Type(() => Date)
  @IsDate(dateMessage('startsAt'))
  startsAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  @Type(() => Date)
  @IsDate(dateMessage('endsAt'))
  @IsAfter('startsAt')
  endsAt!: Date;
}

export class AddRecurrenceRequest {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;

  @ApiProperty({ enum: [1, 2, 3], description: '1 and 2: responders; 3: coordinators on duty' })
  @IsIn([1, 2, 3], { message: 'tier must be 1, 2 or 3' })
  tier!: Tier;

  @ApiProperty({ minimum: 1, maximum: 7, description: 'ISO weekday: 1 Monday … 7 Sunday' })
  @IsIn([1, 2, 3, 4, 5, 6, 7], { message: 'weekday must be 1 (Monday) to 7 (Sunday)' })
  weekday!: number;

  @ApiProperty({ example: '20:00', description: "Wall-clock time in the rota's time zone" })
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'startTime must be HH:MM (00:00 to 23:59)' })
  startTime!: string;

  @ApiProperty({ minimum: 15, maximum: 10080, description: 'Real minutes, at most a week' })
  @IsInt({ message: 'durationMinutes must be a whole number of minutes' })
  @Min(15, { message: 'durationMinutes must be at least 15' })
  @Max(10_080, { message: 'durationMinutes must be at most 10080 (a week)' })
  durationMinutes!: number;

  @ApiProperty({ format: 'date', description: 'First date (local), included' })
  @IsLocalDate()
  startsOn!: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date',
    nullable: true,
    description: 'Last date, included',
  })
  @IsOptional()
  @IsLocalDate('startsOn')
  untilOn?: string | null;
}

export class RotaExceptionRequest {
  @ApiProperty({ enum: ['skip', 'replace'] })
  @IsIn(['skip', 'replace'], { message: 'kind must be skip or replace' })
  kind!: 'skip' | 'replace';

  @ApiPropertyOptional({ format: 'uuid', description: 'replace: who is on call instead' })
  @ValidateIf((o: RotaExceptionRequest) => o.kind === 'replace')
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @ValidateIf((o: RotaExceptionRequest) => o.kind === 'replace')
  @Type(() => Date)
  @IsDate(dateMessage('startsAt'))
  startsAt?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @ValidateIf((o: RotaExceptionRequest) => o.kind === 'replace')
  @Type(() => Date)
  @IsDate(dateMessage('endsAt'))
  @IsAfter('startsAt')
  endsAt?: Date;
}

export class RotaQuery {
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate(dateMessage('from'))
  from?: Date;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate(dateMessage('to'))
  to?: Date;
}

export class TierTimeoutRequest {
  @ApiProperty({ minimum: 1, maximum: 86400 })
  @IsInt()
  @Min(1)
  @Max(86_400)
  ackTimeoutSeconds!: number;
}

@ApiTags('emergency')
@Controller('rota')
export class RotaController {
  constructor(private readonly rota: RotaService) {}

  @Get()
  @ApiOkResponse({ type: RotaViewResponse })
  list(@CurrentActor() actor: Actor, @Query() query: RotaQuery): Promise<RotaView> {
    return this.rota.list(actor, query.from, query.to);
  }

  @Post('shifts')
  @ApiCreatedResponse({ type: ShiftResponse })
  add(@CurrentActor() actor: Actor, @Body() body: AddShiftRequest): Promise<Shift> {
    return this.rota.addShift(actor, body);
  }

  @Delete('shifts/:id')
  @HttpCode(204)
  remove(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    return this.rota.removeShift(actor, id);
  }

  @Post('recurrences')
  @ApiCreatedResponse({ type: RecurrenceResponse })
  addRecurrence(
    @CurrentActor() actor: Actor,
    @Body() body: AddRecurrenceRequest,
  ): Promise<Recurrence> {
    return this.rota.addRecurrence(actor, body);
  }

  @Delete('recurrences/:id')
  @HttpCode(204)
  removeRecurrence(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    return this.rota.removeRecurrence(actor, id);
  }

  /** Skip or replace the occurrence of a recurring shift on a local date (YYYY-MM-DD). */
  @Put('recurrences/:id/exceptions/:occursOn')
  @HttpCode(204)
  setException(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Param('occursOn', new LocalDatePipe('occursOn')) occursOn: string,
    @Body() body: RotaExceptionRequest,
  ): Promise<void> {
    return this.rota.setException(
      actor,
      id,
      occursOn,
      body.kind === 'skip'
        ? { kind: 'skip' }
        : { kind: 'replace', userId: body.userId!, startsAt: body.startsAt!, endsAt: body.endsAt! },
    );
  }

  @Delete('recurrences/:id/exceptions/:occursOn')
  @HttpCode(204)
  clearException(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Param('occursOn', new LocalDatePipe('occursOn')) occursOn: string,
  ): Promise<void> {
    return this.rota.clearException(actor, id, occursOn);
  }

  @Put('tiers/:tier')
  @ApiOkResponse({ type: AckTimeouts, description: 'Every tier’s time to acknowledge, now' })
  setTierTimeout(
    @CurrentActor() actor: Actor,
    @Param('tier', TierPipe) tier: Tier,
    @Body() body: TierTimeoutRequest,
  ): Promise<RotaView['ackTimeoutSeconds']> {
    return this.rota.setTierTimeout(actor, tier, body.ackTimeoutSeconds);
  }
}
