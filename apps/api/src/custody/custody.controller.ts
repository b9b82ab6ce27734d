import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { LockdownService, UnsealService, UnsealStatus } from '@mayak/custody';
import { Actor } from '@mayak/identity';
import { Public } from '../http/public.decorator';
import { CurrentActor } from '../http/request-context';
import { LockdownResponse, UnsealRequest, UnsealStatusResponse } from './custody.dto';

/**
 * Unsealing needs no sign-in (like Vault's): while sealed nobody can sign in, and a share is
 * its own credential. Lockdown needs a signed-in coordinator or admin.
 */
@ApiTags('custody')
@Controller()
export class CustodyController {
  constructor(
    private readonly unsealing: UnsealService,
    private readonly lockdowns: LockdownService,
  ) {}

  @Public()
  @ApiOkResponse({ type: UnsealStatusResponse })
  @Get('unseal')
  status(): Promise<UnsealStatusResponse> {
    return this.unsealing.status();
  }

  /** Throttled like sign-in: shares are not guessable, but a flood of bad ones is noise. */
  @Public()
  @ApiOkResponse({ type: UnsealStatusResponse })
  @Post('unseal')
  @UseGuards(ThrottlerGuard)
  @HttpCode(200)
  unseal(@Body() body: UnsealRequest): Promise<UnsealStatus> {
    return this.unsealing.submit(body.share, 'web');
  }

  @ApiAcceptedResponse({ type: LockdownResponse })
  @Post('lockdown')
  @HttpCode(202)
  async lockdown(@CurrentActor() actor: Actor): Promise<LockdownResponse> {
    await this.lockdowns.lockdown(actor, 'web');
    return { sealed: true };
  }
}
