import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { EmergencyActionsService, EmergencyBoardEntry } from '@mayak/emergency';
import { Actor } from '@mayak/identity';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
import { CaseStatusResponse } from '../cases/case.dto';
import {
  BreakGlassGrantResponse,
  EmergencyEntryResponse,
  EscalationResponse,
} from './emergency.dto';

export class ReasonRequest {
  @ApiProperty({ minLength: 10, maxLength: 2000, description: 'Why; encrypted at rest' })
  @IsString()
  @Length(10, 2_000, { message: 'reason must be 10 to 2000 characters: say why' })
  reason!: string;
}

@ApiTags('emergency')
@Controller()
export class EmergencyController {
  constructor(private readonly emergencies: EmergencyActionsService) {}

  @Get('emergencies')
  @ApiOkResponse({ type: [EmergencyEntryResponse] })
  board(@CurrentActor() actor: Actor): Promise<EmergencyBoardEntry[]> {
    return this.emergencies.board(actor);
  }

  @Post('cases/:id/acknowledge')
  @ApiOkResponse({ type: CaseStatusResponse })
  @HttpCode(200)
  acknowledge(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
  ): Promise<{ id: string; status: string; assigneeId: string }> {
    return this.emergencies.acknowledge(actor, id);
  }

  @Post('cases/:id/break-glass')
  @ApiOkResponse({ type: BreakGlassGrantResponse })
  @HttpCode(200)
  breakGlass(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: ReasonRequest,
  ): Promise<{ expiresAt: Date }> {
    return this.emergencies.breakGlass(actor, id, body.reason);
  }

  @Post('cases/:id/escalate')
  @ApiOkResponse({ type: EscalationResponse })
  @HttpCode(200)
  escalate(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: ReasonRequest,
  ): Promise<{ emergencyCaseId: string }> {
    return this.emergencies.escalate(actor, id, body.reason);
  }
}
