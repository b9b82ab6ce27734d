import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsString,
  Length,
  Matches,
} from 'class-validator';
import { Role, ROLES } from '@mayak/identity';

export class CreateAccountRequest {
  @ApiProperty({ example: 'anna.lawyer', pattern: '^[a-z0-9][a-z0-9._-]{1,62}$' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{1,62}$/, {
    message: 'username must be 2–63 lowercase letters, digits, dots, dashes or underscores',
  })
  username!: string;

  @ApiProperty({
    enum: ROLES,
    isArray: true,
    description:
      'volunteer is granted at once; every other role is proposed and waits for a coordinator to confirm it (GET /api/role-grants)',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(ROLES.length)
  @IsIn(ROLES, { each: true, message: `each role must be one of: ${ROLES.join(', ')}` })
  roles!: Role[];
}

export class SetRolesRequest {
  @ApiProperty({
    enum: ROLES,
    isArray: true,
    description:
      'Roles taken away and volunteer apply at once; any other role added is proposed and waits for a coordinator',
  })
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @IsIn(ROLES, { each: true, message: `each role must be one of: ${ROLES.join(', ')}` })
  roles!: Role[];
}

export class AccountResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: Role[];
  @ApiProperty({
    enum: ROLES,
    isArray: true,
    description: 'Proposed, waiting for a second person',
  })
  pendingRoles!: Role[];
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ description: 'Its owner has not set it up with their enrolment code yet' })
  awaitingEnrolment!: boolean;
  @ApiProperty() totpEnrolled!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The last successful sign-in, to the hour; null if none is on record',
  })
  lastSignInAt!: Date | null;
}

export class SearchAccountsRequest {
  @ApiProperty({
    description: 'The start of a username (case does not matter); in the body, never the URL',
  })
  @IsString()
  @Length(1, 63, { message: 'query must be 1 to 63 characters' })
  query!: string;
}

export class EnrolmentCodeResponse {
  @ApiProperty({
    description:
      'One-time code for the account’s owner, shown this once: hand it over out of band. They set their own password and second factor with it at /enrol.',
    example: 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567',
  })
  code!: string;
  @ApiProperty({ description: 'The code stops working then (24 h)' }) expiresAt!: Date;
}

export class CreatedAccountResponse extends AccountResponse {
  @ApiProperty({ type: EnrolmentCodeResponse }) enrolment!: EnrolmentCodeResponse;
}
