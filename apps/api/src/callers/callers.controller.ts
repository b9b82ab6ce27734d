import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn } from 'class-validator';
import { CONSENT_SCOPES, ConsentScope } from '@mayak/access';
import { ConsentWithdrawalService, WithdrawalReceipt } from '@mayak/consent';
import { Actor } from '@mayak/identity';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';

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
@Controller('callers')
export class CallersController {
  constructor(private readonly withdrawal: ConsentWithdrawalService) {}

  @Post(':id/consent/withdraw')
  @HttpCode(200)
  withdraw(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: WithdrawConsentRequest,
  ): Promise<WithdrawalReceipt> {
    return this.withdrawal.withdraw(actor, id, body.scopes);
  }
}
