import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CaseFollowUps, CaseHandovers, OverdueWorkService } from '@mayak/cases';
import { Actor } from '@mayak/identity';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
import { CaseStatusResponse } from './case.dto';
import {
  ColleagueResponse,
  FollowUpResponse,
  FollowUpStatusResponse,
  HandoverCreatedResponse,
  HandOverRequest,
  IncomingHandoverResponse,
  OverdueWorkResponse,
  SetFollowUpRequest,
} from './follow-up.dto';

/** Follow-ups (a call back on a day) and handovers of a case to a colleague (issue 13.6). */
@ApiTags('cases')
@Controller()
export class FollowUpsController {
  constructor(
    private readonly followUps: CaseFollowUps,
    private readonly handovers: CaseHandovers,
    private readonly overdue: OverdueWorkService,
  ) {}

  @Post('cases/:id/follow-ups')
  @ApiCreatedResponse({ type: FollowUpResponse })
  setFollowUp(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: SetFollowUpRequest,
  ): Promise<FollowUpResponse> {
    return this.followUps.set(actor, id, body.dueOn, body.note);
  }

  @Post('cases/:id/follow-ups/:followUpId/done')
  @HttpCode(200)
  @ApiOkResponse({ type: FollowUpStatusResponse })
  done(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @UuidParam('followUpId') followUpId: string,
  ): Promise<FollowUpStatusResponse> {
    return this.followUps.close(actor, id, followUpId, 'done');
  }

  @Post('cases/:id/follow-ups/:followUpId/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: FollowUpStatusResponse })
  cancel(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @UuidParam('followUpId') followUpId: string,
  ): Promise<FollowUpStatusResponse> {
    return this.followUps.close(actor, id, followUpId, 'cancelled');
  }

  @Get('cases/:id/colleagues')
  @ApiOkResponse({ type: [ColleagueResponse] })
  colleagues(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<ColleagueResponse[]> {
    return this.handovers.colleagues(actor, id);
  }

  @Post('cases/:id/handover')
  @ApiCreatedResponse({ type: HandoverCreatedResponse })
  handOver(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: HandOverRequest,
  ): Promise<HandoverCreatedResponse> {
    return this.handovers.offer(actor, id, body.toId, body.note);
  }

  @Post('cases/:id/handover/accept')
  @HttpCode(200)
  @ApiOkResponse({ type: CaseStatusResponse })
  accept(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<CaseStatusResponse> {
    return this.handovers.accept(actor, id);
  }

  @Post('cases/:id/handover/refuse')
  @HttpCode(200)
  @ApiOkResponse({ type: CaseStatusResponse })
  refuse(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<CaseStatusResponse> {
    return this.handovers.refuse(actor, id);
  }

  @Get('handovers')
  @ApiOkResponse({ type: [IncomingHandoverResponse] })
  incoming(@CurrentActor() actor: Actor): Promise<IncomingHandoverResponse[]> {
    return this.handovers.incoming(actor);
  }

  @Get('overdue-work')
  @ApiOkResponse({ type: OverdueWorkResponse })
  overdueWork(@CurrentActor() actor: Actor): Promise<OverdueWorkResponse> {
    return this.overdue.list(actor);
  }
}
