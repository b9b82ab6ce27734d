import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  Max,
  Min,
} from 'class-validator';
import { Actor } from '@mayak/identity';
import { REGIONS } from '@mayak/intake';
import { Availability, StaffAvailabilityService, StaffMember } from '@mayak/staffing';
import { CurrentActor } from '../http/request-context';
import { AvailabilityResponse, StaffMemberResponse } from './staff.dto';
import { UserRefPipe } from './user-ref.pipe';

export class AvailabilityRequest implements Availability {
  @ApiProperty() @IsBoolean() onShift!: boolean;

  @ApiProperty({ minimum: 0, maximum: 1000 })
  @IsInt()
  @Min(0)
  @Max(1000)
  capacity!: number;

  @ApiProperty({ type: [String], description: 'ISO 3166-2:RU codes; empty means any region' })
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(REGIONS.length)
  @IsIn(REGIONS, {
    each: true,
    message: 'each region must be an ISO 3166-2:RU code, unknown or abroad',
  })
  regions!: string[];
}

@ApiTags('staff')
@Controller('staff')
export class StaffController {
  constructor(private readonly staff: StaffAvailabilityService) {}

  @Get()
  @ApiOkResponse({ type: [StaffMemberResponse] })
  list(@CurrentActor() actor: Actor): Promise<StaffMember[]> {
    return this.staff.list(actor);
  }

  @Get(':userId/availability')
  @ApiOkResponse({ type: AvailabilityResponse })
  get(
    @CurrentActor() actor: Actor,
    @Param('userId', UserRefPipe) userId: string,
  ): Promise<Availability> {
    return this.staff.get(actor, userId);
  }

  @Put(':userId/availability')
  @ApiOkResponse({ type: AvailabilityResponse })
  set(
    @CurrentActor() actor: Actor,
    @Param('userId', UserRefPipe) userId: string,
    @Body() body: AvailabilityRequest,
  ): Promise<Availability> {
    return this.staff.set(actor, userId, body);
  }
}
