import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { GrantSide, TWO_PERSON_ROLES, TwoPersonRole } from '@mayak/access';
import { PendingGrantView, RoleGrantsService } from '@mayak/accounts';
import { Actor } from '@mayak/identity';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';

export class ProposeGrantRequest {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  userId!: string;

  @ApiProperty({ enum: TWO_PERSON_ROLES })
  @IsIn(TWO_PERSON_ROLES, {
    message: `role must be one of: ${TWO_PERSON_ROLES.join(', ')}`,
  })
  role!: TwoPersonRole;
}

export class PendingGrantResponse implements PendingGrantView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: TWO_PERSON_ROLES }) role!: TwoPersonRole;
  @ApiProperty({ format: 'uuid' }) proposedBy!: string;
  @ApiProperty() proposedByUsername!: string;
  @ApiProperty({ enum: ['admin', 'coordinator'] }) proposedAs!: GrantSide;
  @ApiProperty() proposedAt!: Date;
  @ApiProperty({ description: 'The owner has set the account up with their enrolment code' })
  granteeEnrolled!: boolean;
  @ApiProperty({ description: 'Whether you may confirm it' }) mayConfirm!: boolean;
}

/**
 * Two-person role grants (issue 12.1): a role that needs two people waits here until a person
 * on the other side (a coordinator for an admin's proposal, an admin for a coordinator's)
 * confirms it.
 */
@ApiTags('admin')
@Controller('role-grants')
export class RoleGrantsController {
  constructor(private readonly grants: RoleGrantsService) {}

  /** Admins and coordinators: the grants waiting for a second person, oldest first. */
  @ApiOkResponse({ type: [PendingGrantResponse] })
  @Get()
  list(@CurrentActor() actor: Actor): Promise<PendingGrantResponse[]> {
    return this.grants.list(actor);
  }

  /** Admins and coordinators: propose a role for another's account. */
  @ApiCreatedResponse({ type: [PendingGrantResponse] })
  @Post()
  propose(
    @CurrentActor() actor: Actor,
    @Body() body: ProposeGrantRequest,
  ): Promise<PendingGrantResponse[]> {
    return this.grants.request(actor, body.userId, body.role);
  }

  /** The other side, neither the proposer nor the account's owner: the role is applied. */
  @Post(':id/confirm')
  @HttpCode(204)
  async confirm(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    await this.grants.decide(actor, id, 'confirmed');
  }

  /** The other side, or the proposer withdrawing it: nothing is granted. */
  @Post(':id/reject')
  @HttpCode(204)
  async reject(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<void> {
    await this.grants.decide(actor, id, 'rejected');
  }
}
