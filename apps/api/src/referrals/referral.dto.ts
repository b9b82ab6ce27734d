import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
} from 'class-validator';
import { REGIONS } from '@mayak/intake';
import {
  NATIONWIDE,
  REFERRAL_KINDS,
  REFERRAL_STATUSES,
  ReferralKind,
  ReferralStatus,
} from '@mayak/referrals';

/** A federal subject, abroad, or nationwide (found by every region); never "unknown". */
export const REFERRAL_REGIONS = [...REGIONS.filter((r) => r !== 'unknown'), NATIONWIDE] as const;

const REGION_MESSAGE = {
  message: 'region must be an ISO 3166-2:RU code (such as RU-SPE), abroad or nationwide',
};
const KIND_MESSAGE = { message: `kind must be one of: ${REFERRAL_KINDS.join(', ')}` };

export class SearchReferralsRequest {
  @ApiPropertyOptional({
    enum: REFERRAL_REGIONS,
    description: 'Its entries and the nationwide ones',
  })
  @IsOptional()
  @IsIn(REFERRAL_REGIONS, REGION_MESSAGE)
  region?: string;

  @ApiPropertyOptional({ enum: REFERRAL_KINDS })
  @IsOptional()
  @IsIn(REFERRAL_KINDS, KIND_MESSAGE)
  kind?: ReferralKind;

  @ApiPropertyOptional({ description: 'Part of the name', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  text?: string;

  @ApiPropertyOptional({ description: 'Retired entries too (coordinators only)' })
  @IsOptional()
  @IsBoolean()
  includeRetired?: boolean;
}

export class ReadReferralsRequest {
  @ApiProperty({ type: String, isArray: true, format: 'uuid', maxItems: 20 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each id must be a UUID' })
  ids!: string[];
}

export class ReferralRequest {
  @ApiProperty({ enum: REFERRAL_REGIONS })
  @IsIn(REFERRAL_REGIONS, REGION_MESSAGE)
  region!: string;

  @ApiProperty({ enum: REFERRAL_KINDS })
  @IsIn(REFERRAL_KINDS, KIND_MESSAGE)
  kind!: ReferralKind;

  @ApiProperty({ description: 'Encrypted at rest', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ description: 'Phones, e-mail, messenger; encrypted at rest', maxLength: 1000 })
  @IsString()
  @MaxLength(1000)
  contactDetails!: string;

  @ApiProperty({ description: 'Encrypted at rest', maxLength: 500 })
  @IsString()
  @MaxLength(500)
  address!: string;

  @ApiProperty({ description: 'Encrypted at rest', maxLength: 5000 })
  @IsString()
  @MaxLength(5000)
  notes!: string;
}

export class ReferralResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: REFERRAL_REGIONS }) region!: string;
  @ApiProperty({ enum: REFERRAL_KINDS }) kind!: ReferralKind;
  @ApiProperty({ enum: REFERRAL_STATUSES }) status!: ReferralStatus;
  @ApiProperty() name!: string;
  @ApiProperty() contactDetails!: string;
  @ApiProperty() address!: string;
  @ApiProperty() notes!: string;
}
