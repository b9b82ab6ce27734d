import { Body, Controller, HttpCode, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor } from '@mayak/identity';
import { ReferralDirectory } from '@mayak/referrals';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
import {
  ReadReferralsRequest,
  ReferralRequest,
  ReferralResponse,
  SearchReferralsRequest,
} from './referral.dto';

/**
 * The referral directory. Searches and reads are POSTs: what is searched for (a name) and
 * which entries were read stay out of addresses and access logs.
 */
@ApiTags('referrals')
@Controller('referrals')
export class ReferralsController {
  constructor(private readonly directory: ReferralDirectory) {}

  @Post('search')
  @HttpCode(200)
  @ApiOkResponse({ type: ReferralResponse, isArray: true })
  search(
    @CurrentActor() actor: Actor,
    @Body() body: SearchReferralsRequest,
  ): Promise<ReferralResponse[]> {
    return this.directory.search(actor, body);
  }

  @Post('read')
  @HttpCode(200)
  @ApiOkResponse({ type: ReferralResponse, isArray: true })
  read(
    @CurrentActor() actor: Actor,
    @Body() body: ReadReferralsRequest,
  ): Promise<ReferralResponse[]> {
    return this.directory.read(actor, body.ids);
  }

  @Post()
  @ApiCreatedResponse({ type: ReferralResponse })
  create(@CurrentActor() actor: Actor, @Body() body: ReferralRequest): Promise<ReferralResponse> {
    return this.directory.create(actor, body);
  }

  @Put(':id')
  @ApiOkResponse({ type: ReferralResponse })
  update(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: ReferralRequest,
  ): Promise<ReferralResponse> {
    return this.directory.update(actor, id, body);
  }

  @Post(':id/retire')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Retired: no longer offered to those who refer callers' })
  retire(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    return this.directory.retire(actor, id);
  }

  @Post(':id/reinstate')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Offered again' })
  reinstate(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    return this.directory.reinstate(actor, id);
  }
}
