import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AccountAdminService } from '@mayak/accounts';
import { Actor } from '@mayak/identity';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
import {
  AccountResponse,
  CreateAccountRequest,
  CreatedAccountResponse,
  SearchAccountsRequest,
  SetRolesRequest,
} from './accounts.dto';

@ApiTags('admin')
@Controller('admin/users')
export class AccountsController {
  constructor(private readonly accounts: AccountAdminService) {}

  @ApiOkResponse({ type: [AccountResponse] })
  @Get()
  list(@CurrentActor() actor: Actor): Promise<AccountResponse[]> {
    return this.accounts.list(actor);
  }

  /**
   * Accounts whose username starts with `query`. A POST, so that the fragment of a name stays
   * out of URLs and access logs.
   */
  @ApiOkResponse({ type: [AccountResponse] })
  @Post('search')
  @HttpCode(200)
  search(
    @CurrentActor() actor: Actor,
    @Body() body: SearchAccountsRequest,
  ): Promise<AccountResponse[]> {
    return this.accounts.search(actor, body.query);
  }

  /** No password: the answer's one-time enrolment code lets the owner set their own. */
  @ApiCreatedResponse({ type: CreatedAccountResponse })
  @Post()
  create(
    @CurrentActor() actor: Actor,
    @Body() body: CreateAccountRequest,
  ): Promise<CreatedAccountResponse> {
    return this.accounts.create(actor, body);
  }

  @ApiOkResponse({ type: AccountResponse })
  @Put(':id/roles')
  setRoles(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: SetRolesRequest,
  ): Promise<AccountResponse> {
    return this.accounts.setRoles(actor, id, body.roles);
  }

  @ApiOkResponse({ type: AccountResponse })
  @Post(':id/disable')
  @HttpCode(200)
  disable(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<AccountResponse> {
    return this.accounts.disable(actor, id);
  }

  @ApiOkResponse({ type: AccountResponse })
  @Post(':id/enable')
  @HttpCode(200)
  enable(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<AccountResponse> {
    return this.accounts.enable(actor, id);
  }

  /**
   * A new enrolment code, replacing the old (the password-reset link): the account loses its
   * password and second factor, and its roles that need two people wait for a coordinator
   * again. Needs a recent re-authentication, like making an account.
   */
  @ApiOkResponse({ type: CreatedAccountResponse })
  @Post(':id/enrolment')
  @HttpCode(200)
  reissueEnrolment(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
  ): Promise<CreatedAccountResponse> {
    return this.accounts.reissueEnrolment(actor, id);
  }

  @ApiOkResponse({ type: AccountResponse })
  @Post(':id/totp/reset')
  @HttpCode(200)
  resetTotp(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<AccountResponse> {
    return this.accounts.resetTotp(actor, id);
  }
}
