import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';

export class LoginRequest {
  @ApiProperty({ example: 'volunteer' })
  @IsString()
  @Length(1, 64)
  username!: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 256)
  password!: string;

  @ApiProperty({ example: '123456', description: 'The current code from the authenticator app' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'totp must be six digits' })
  totp!: string;
}

export class ReauthenticateRequest {
  @ApiProperty({ format: 'password', description: 'Your password' })
  @IsString()
  @Length(1, 256)
  password!: string;

  @ApiProperty({ example: '123456', description: 'The current code from the authenticator app' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'totp must be six digits' })
  totp!: string;
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

export class MeResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty({ description: 'When the session ends if it is not used' }) idleExpiresAt!: Date;
}

export class DuressPasswordRequest {
  @ApiProperty({ format: 'password', description: 'Your current password' })
  @IsString()
  @Length(1, 256)
  password!: string;

  @ApiProperty({
    format: 'password',
    nullable: true,
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
