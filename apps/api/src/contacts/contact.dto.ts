import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxDate,
  Min,
  MinDate,
  ValidateNested,
} from 'class-validator';
import { CONSENT_SCOPES, ConsentScope, SERVICES, Service } from '@mayak/access';
import { MAX_CONTACT_REFERRALS } from '@mayak/contacts';
import {
  AGE_BANDS,
  AgeBand,
  Channel,
  CHANNELS,
  CONTACT_OUTCOMES,
  ContactOutcome,
  GENDER_IDENTITIES,
  GenderIdentity,
  Orientation,
  ORIENTATIONS,
  Region,
  REGIONS,
  Topic,
  TOPICS,
} from '@mayak/intake';
import { CASE_STATUSES } from '../cases/case.dto';

const oneOf = (name: string, values: readonly string[]) => ({
  message: `${name} must be one of: ${values.join(', ')}`,
});
const eachOneOf = (name: string, values: readonly string[]) => ({
  each: true,
  message: `each ${name} must be one of: ${values.join(', ')}`,
});

export const INTAKE_SERVICES = ['legal', 'psych', 'emergency'] as const;

export class CallerProfileDto {
  @ApiPropertyOptional({
    description: 'What the caller asked to be called; encrypted at rest',
    maxLength: 100,
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  pseudonym?: string;

  @ApiPropertyOptional({ enum: AGE_BANDS })
  @IsOptional()
  @IsIn(AGE_BANDS, oneOf('ageBand', AGE_BANDS))
  ageBand?: AgeBand;

  @ApiPropertyOptional({ enum: GENDER_IDENTITIES })
  @IsOptional()
  @IsIn(GENDER_IDENTITIES, oneOf('genderIdentity', GENDER_IDENTITIES))
  genderIdentity?: GenderIdentity;

  @ApiPropertyOptional({ enum: ORIENTATIONS })
  @IsOptional()
  @IsIn(ORIENTATIONS, oneOf('orientation', ORIENTATIONS))
  orientation?: Orientation;

  @ApiPropertyOptional({
    description:
      'Phone number or messenger handle. Never stored: only a keyed hash, and an encrypted copy under contact_back consent.',
    maxLength: 100,
  })
  @IsOptional()
  @IsString()
  @Length(3, 100)
  @Matches(/^[\p{L}\p{N}@+()._\- ]+$/u, {
    message: 'identifier must be a phone number or a handle',
  })
  identifier?: string;
}

export class ContactBackDto {
  @ApiProperty({ enum: CHANNELS })
  @IsIn(CHANNELS, oneOf('channel', CHANNELS))
  channel!: Channel;

  @ApiProperty({
    description: 'When it is safe to call back, in the caller’s words; encrypted at rest',
    maxLength: 200,
  })
  @IsString()
  @Length(1, 200)
  safeTimes!: string;
}

export class ConsentDto {
  @ApiProperty({ enum: CONSENT_SCOPES, isArray: true })
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(CONSENT_SCOPES.length)
  @IsIn(CONSENT_SCOPES, eachOneOf('scope', CONSENT_SCOPES))
  scopes!: ConsentScope[];

  @ApiProperty({
    example: '2026-01',
    description: 'The version of the consent text read to the caller',
  })
  @IsString()
  @Matches(/^[0-9A-Za-z._-]{1,32}$/, {
    message: 'textVersion must be a short version label such as 2026-01',
  })
  textVersion!: string;

  @ApiProperty({ minimum: 1, maximum: 3650, example: 365 })
  @IsInt()
  @Min(1)
  @Max(3650)
  retentionDays!: number;

  @ApiPropertyOptional({ type: ContactBackDto })
  @IsOptional()
  @IsObject({ message: 'contactBack must be an object' })
  @ValidateNested()
  @Type(() => ContactBackDto)
  contactBack?: ContactBackDto;
}

export class CreateContactRequest {
  @ApiProperty({ enum: CHANNELS })
  @IsIn(CHANNELS, oneOf('channel', CHANNELS))
  channel!: Channel;

  @ApiProperty({ type: String, format: 'date-time' })
  @Type(() => Date)
  @IsDate({ message: 'startedAt must be an ISO 8601 date-time' })
  @MinDate(() => new Date(Date.now() - 366 * 86_400_000), {
    message: 'startedAt must be within the last year',
  })
  @MaxDate(() => new Date(Date.now() + 10 * 60_000), {
    message: 'startedAt must not be in the future',
  })
  startedAt!: Date;

  @ApiProperty({ minimum: 0, maximum: 86400 })
  @IsInt()
  @Min(0)
  @Max(86_400)
  durationSeconds!: number;

  @ApiProperty({ enum: REGIONS, description: 'ISO 3166-2:RU, or unknown / abroad' })
  @IsIn(REGIONS, {
    message: 'region must be an ISO 3166-2:RU code (such as RU-SPE), unknown or abroad',
  })
  region!: Region;

  @ApiPropertyOptional({ type: CallerProfileDto })
  @IsOptional()
  @IsObject({ message: 'caller must be an object' })
  @ValidateNested()
  @Type(() => CallerProfileDto)
  caller?: CallerProfileDto;

  @ApiProperty({ enum: TOPICS, isArray: true })
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(TOPICS.length)
  @IsIn(TOPICS, eachOneOf('topic', TOPICS))
  topics!: Topic[];

  @ApiProperty()
  @IsBoolean()
  immediateRisk!: boolean;

  @ApiPropertyOptional({ description: 'Free text; encrypted at rest', maxLength: 20000 })
  @IsOptional()
  @IsString()
  @Length(0, 20_000)
  summary?: string;

  @ApiProperty({ enum: CONTACT_OUTCOMES })
  @IsIn(CONTACT_OUTCOMES, oneOf('outcome', CONTACT_OUTCOMES))
  outcome!: ContactOutcome;

  @ApiProperty({ type: ConsentDto })
  @IsObject({ message: 'consent must be an object' })
  @ValidateNested()
  @Type(() => ConsentDto)
  consent!: ConsentDto;

  @ApiProperty({ enum: INTAKE_SERVICES, isArray: true })
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(INTAKE_SERVICES.length)
  @IsIn(INTAKE_SERVICES, eachOneOf('service', INTAKE_SERVICES))
  services!: Service[];

  @ApiPropertyOptional({
    type: String,
    isArray: true,
    format: 'uuid',
    maxItems: MAX_CONTACT_REFERRALS,
    description:
      'Active entries of the referral directory the caller was sent to (outcome referred); sealed with the summary',
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(MAX_CONTACT_REFERRALS)
  @IsUUID('all', { each: true, message: 'each referral id must be a UUID' })
  referralIds?: string[];
}

export class RepeatCallerResponse {
  @ApiProperty({ description: 'Earlier contacts of the same caller' }) previousContacts!: number;
}

export class IntakeReceiptResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) callerId!: string;
  @ApiProperty({ type: [String] }) caseIds!: string[];
  @ApiProperty({ type: RepeatCallerResponse }) repeatCaller!: RepeatCallerResponse;
  @ApiPropertyOptional({
    enum: ['tier1', 'tier2', 'coordinators', 'nobody'],
    description:
      'With an emergency: who its first page goes to, by the rota when it was saved (roles, never names)',
  })
  emergencyPaged?: 'tier1' | 'tier2' | 'coordinators' | 'nobody';
}

export class SavedUnderKeyRequest {
  @ApiProperty({ description: 'The Idempotency-Key a save was sent with' })
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{8,128}$/, {
    message: 'idempotencyKey must be 8–128 letters, digits, dots, dashes, colons or underscores',
  })
  idempotencyKey!: string;
}

export class SavedUnderKeyResponse {
  @ApiProperty({ description: 'Whether a contact was saved under this key' }) saved!: boolean;
  @ApiProperty({ format: 'uuid', required: false }) contactId?: string;
}

export class CallerLookupRequest {
  @ApiProperty({ maxLength: 100 })
  @IsString()
  @Length(3, 100)
  @Matches(/^[\p{L}\p{N}@+()._\- ]+$/u, {
    message: 'identifier must be a phone number or a handle',
  })
  identifier!: string;
}

export class EarlierContactResponse {
  @ApiProperty({ example: '2026-11-30', description: 'The day of the call, never the time' })
  date!: string;
  @ApiProperty({ enum: ['legal', 'psych', 'emergency'], isArray: true }) services!: Service[];
  @ApiProperty({ enum: CONTACT_OUTCOMES }) outcome!: string;
}

export class CallerLookupResponse {
  @ApiProperty() previousContacts!: number;
  @ApiProperty({
    type: [EarlierContactResponse],
    description: 'Newest first: those the caller’s consent lets the volunteer see',
  })
  earlierContacts!: EarlierContactResponse[];
  @ApiProperty({
    description: 'Earlier contacts not shown: the caller’s consent does not allow it',
  })
  hiddenContacts!: number;
}

/** The caller as a contact describes them: erased or never given fields are null. */
export class ContactCallerResponse {
  @ApiProperty({ type: String, nullable: true }) pseudonym!: string | null;
  @ApiProperty({ type: String, nullable: true }) ageBand!: string | null;
  @ApiProperty({ type: String, nullable: true }) genderIdentity!: string | null;
  @ApiProperty({ type: String, nullable: true }) orientation!: string | null;
}

/** A case a contact raised, as far as its volunteer may know it. */
export class ContactCaseResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SERVICES }) service!: Service;
  @ApiProperty({ enum: CASE_STATUSES }) status!: string;
}

/** GET /api/contacts/mine: what the volunteer logged within their window, newest first. */
export class MyContactResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) callerId!: string;
  @ApiProperty({ description: 'A channel code' }) channel!: string;
  @ApiProperty({ type: String, format: 'date-time' }) startedAt!: string;
  @ApiProperty() durationSeconds!: number;
  @ApiProperty({ description: 'A region code' }) region!: string;
  @ApiProperty({ type: ContactCallerResponse }) caller!: ContactCallerResponse;
  @ApiProperty({ type: [String], description: 'Topic codes' }) topics!: string[];
  @ApiProperty() immediateRisk!: boolean;
  @ApiProperty({ type: String, nullable: true }) summary!: string | null;
  @ApiProperty({ description: 'A contact outcome code' }) outcome!: string;
  @ApiProperty({ enum: SERVICES, isArray: true }) services!: Service[];
  @ApiProperty({ type: [String], description: 'Case ids, by service' }) caseIds!: string[];
  @ApiProperty({
    type: [ContactCaseResponse],
    description: 'The cases the contact raised (and any emergency escalated from them since)',
  })
  cases!: ContactCaseResponse[];
  @ApiProperty({
    type: [String],
    description: 'Entries of the referral directory: POST /api/referrals/read names them',
  })
  referralIds!: string[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({
    type: [String],
    description: 'Encrypted fields that no longer exist: consent withdrawn, or retention passed',
  })
  erased!: string[];
}
