import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn } from 'class-validator';
import { CONSENT_SCOPES, ConsentScope } from '@mayak/access';
import {
  ConsentWithdrawalService,
  PendingWithdrawals,
  PendingWithdrawalView,
  WithdrawalReceipt,
} from '@mayak/consent';
import { Actor } from '@mayak/identity';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
import { PendingWithdrawalResponse, WithdrawalReceiptResponse } from './callers.dto';

export class WithdrawConsentRequest {
  @ApiProperty({ enum: CONSENT_SCOPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(CONSENT_SCOPES, {
    each: true,
    message: `each scope must be one of: ${CONSENT_SCOPES.join(', ')}`,
  })
  scopes!: ConsentScope[];
}

@ApiTags('consent')
@Controller()
export class CallersController {
  constructor(
    private readonly withdrawal: ConsentWithdrawalService,
    private readonly pending: PendingWithdrawals,
  ) {}

  /**
   * Takes effect at once for what the asker logged on this call (or, for the assignee of an
   * open case of the caller, for everything); the rest waits for a coordinator and 24 h
   * (`pendingId`).
   */
  @Post('callers/:id/consent/withdraw')
  @ApiOkResponse({ type: WithdrawalReceiptResponse })
  @HttpCode(200)
  withdraw(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: WithdrawConsentRequest,
  ): Promise<WithdrawalReceipt> {
    return this.withdrawal.withdraw(actor, id, body.scopes);
  }

  /** Coordinators: withdrawals waiting for confirmation, oldest first. */
  @Get('withdrawals')
  @ApiOkResponse({ type: [PendingWithdrawalResponse] })
  listPending(@CurrentActor() actor: Actor): Promise<PendingWithdrawalView[]> {
    return this.pending.list(actor);
  }

  /** Coordinators: confirm; applied 24 h or more after the request. */
  @Post('withdrawals/:id/confirm')
  @HttpCode(204)
  async confirm(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    await this.pending.decide(actor, id, 'confirmed');
  }

  /** Coordinators: reject; nothing more is withdrawn. */
  @Post('withdrawals/:id/reject')
  @HttpCode(204)
  async reject(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    await this.pending.decide(actor, id, 'rejected');
  }
}
