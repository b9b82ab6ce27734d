import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
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
  @Get('unseal')
  status(): Promise<UnsealStatusResponse> {
    return this.unsealing.status();
  }

  @Public()
  @Post('unseal')
  @HttpCode(200)
  unseal(@Body() body: UnsealRequest): Promise<UnsealStatus> {
    return this.unsealing.submit(body.share, 'web');
  }

  @Post('lockdown')
  @HttpCode(202)
  async lockdown(@CurrentActor() actor: Actor): Promise<LockdownResponse> {
    await this.lockdowns.lockdown(actor, 'web');
    return { sealed: true };
  }
}
