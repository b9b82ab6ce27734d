import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { RotaService, RotaView, Shift, Tier } from '@mayak/emergency';
import { Actor } from '@mayak/identity';
import { IsAfter } from '../http/is-after';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
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
  list(@CurrentActor() actor: Actor, @Query() query: RotaQuery): Promise<RotaView> {
    return this.rota.list(actor, query.from, query.to);
  }

  @Post('shifts')
  add(@CurrentActor() actor: Actor, @Body() body: AddShiftRequest): Promise<Shift> {
    return this.rota.addShift(actor, body);
  }

  @Delete('shifts/:id')
  @HttpCode(204)
  remove(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    return this.rota.removeShift(actor, id);
  }

  @Put('tiers/:tier')
  setTierTimeout(
    @CurrentActor() actor: Actor,
    @Param('tier', TierPipe) tier: Tier,
    @Body() body: TierTimeoutRequest,
  ): Promise<RotaView['ackTimeoutSeconds']> {
    return this.rota.setTierTimeout(actor, tier, body.ackTimeoutSeconds);
  }
}
