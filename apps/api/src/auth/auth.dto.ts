import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Role, ROLES } from '@mayak/identity';
import {
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/** A name and its password: the first step of every sign-in. */
export class PasskeySignInRequest {
  @ApiProperty({ example: 'volunteer' })
  @IsString()
  @Length(1, 64)
  username!: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 256)
  password!: string;
}

export class LoginRequest extends PasskeySignInRequest {
  @ApiProperty({ example: '123456', description: 'The current code from the authenticator app' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'totp must be six digits' })
  totp!: string;
}

/**
 * What the browser's navigator.credentials answers, as JSON (@simplewebauthn/browser's
 * RegistrationResponseJSON or AuthenticationResponseJSON): checked in shape here, in
 * substance by the server's WebAuthn library.
 */
export class PasskeyCredential {
  @ApiProperty({ description: 'The credential id, base64url' })
  @IsString()
  @Length(1, 1400)
  id!: string;

  @ApiProperty({ description: 'The same id, base64url' })
  @IsString()
  @Length(1, 1400)
  rawId!: string;

  @ApiProperty({ enum: ['public-key'] })
  @IsIn(['public-key'])
  type!: 'public-key';

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'clientDataJSON and either attestationObject or authenticatorData and signature',
  })
  @IsObject()
  response!: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  clientExtensionResults?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ['platform', 'cross-platform'] })
  @IsOptional()
  @IsIn(['platform', 'cross-platform'])
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

export class PasskeyAssertion {
  @ApiProperty({ format: 'uuid', description: 'From the options call' })
  @IsUUID()
  ticket!: string;

  @ApiProperty({ type: PasskeyCredential })
  @ValidateNested()
  @Type(() => PasskeyCredential)
  credential!: PasskeyCredential;
}

export class ReauthenticateRequest {
  @ApiProperty({ format: 'password', description: 'Your password' })
  @IsString()
  @Length(1, 256)
  password!: string;

  @ApiPropertyOptional({
    example: '123456',
    description: 'The current code from the authenticator app; or `passkey` instead',
  })
  @ValidateIf((o: ReauthenticateRequest) => o.passkey === undefined || o.totp !== undefined)
  @IsString({ message: 'totp or passkey is required' })
  @Matches(/^\d{6}$/, { message: 'totp must be six digits' })
  totp?: string;

  @ApiPropertyOptional({
    type: PasskeyAssertion,
    description:
      'An assertion over the challenge of POST /api/auth/reauthenticate/options; roles that sign in with a passkey must use it',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PasskeyAssertion)
  passkey?: PasskeyAssertion;
}

export class PasskeyCeremonyResponse {
  @ApiProperty({ format: 'uuid', description: 'Send back with the credential' })
  ticket!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'For navigator.credentials (@simplewebauthn/browser): request or creation options',
  })
  options!: object;
}

export class RegisterPasskeyRequest extends PasskeyAssertion {
  @ApiProperty({ example: 'YubiKey', description: 'A name you will recognise it by' })
  @IsString()
  @Length(1, 60)
  name!: string;
}

export class PasskeyResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date' }) addedOn!: string;
}

export class LoginResponse {
  @ApiProperty() token!: string;
  @ApiProperty() expiresAt!: Date;
}

export class EnrolRequest {
  @ApiProperty() @IsString() @Length(1, 64) username!: string;
  @ApiProperty({ format: 'password' }) @IsString() @Length(1, 256) password!: string;
}

export class EnrolResponse {
  @ApiProperty({ description: 'Scan into an authenticator app, then sign in with a code from it' })
  otpauthUri!: string;
  @ApiProperty({ description: 'The same secret, for typing in by hand' })
  secret!: string;
}

export class DraftKeyResponse {
  @ApiProperty({ description: '256-bit AES key, base64; for this session only' }) key!: string;
}

export class MeResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: Role[];
  @ApiProperty({ description: 'When the session ends if it is not used' }) idleExpiresAt!: Date;
  @ApiProperty({ enum: ['totp', 'passkey'], description: 'How this session signed in' })
  secondFactor!: 'totp' | 'passkey';
  @ApiProperty({
    description:
      'The role signs in with a passkey and this session used a code: register a passkey before anything else',
  })
  passkeyRegistrationRequired!: boolean;
}

export class DuressPasswordRequest {
  @ApiProperty({ format: 'password', description: 'Your current password' })
  @IsString()
  @Length(1, 256)
  password!: string;

  @ApiProperty({
    type: String,
    format: 'password',
    nullable: true,
    required: false,
    description:
      'Signing in with this password (and your code) looks like a normal sign-in and silently locks Mayak down. null removes it.',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @Length(12, 256)
  duressPassword!: string | null;
}

export class EnrolWithCodeRequest {
  @ApiProperty({
    description: 'The one-time code an administrator handed over (dashes and case do not matter)',
  })
  @IsString()
  @Length(1, 128)
  code!: string;

  @ApiProperty({ format: 'password', minLength: 12, description: 'Your own new password' })
  @IsString()
  @Length(12, 256, { message: 'password must be 12 to 256 characters' })
  password!: string;
}

export class EnrolWithCodeResponse extends EnrolResponse {
  @ApiProperty({ description: 'Your username, to sign in with' }) username!: string;
}

export class ChangePasswordRequest {
  @ApiProperty({ format: 'password', description: 'Your current password' })
  @IsString()
  @Length(1, 256, { message: 'currentPassword is required' })
  currentPassword!: string;

  @ApiProperty({ format: 'password', minLength: 12, description: 'Your new password' })
  @IsString()
  @Length(12, 256, { message: 'newPassword must be 12 to 256 characters' })
  newPassword!: string;
}
