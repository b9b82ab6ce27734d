import { ApiProperty } from '@nestjs/swagger';

/** The fixed vocabularies, as codes: clients translate them. */
export class VocabularyResponse {
  @ApiProperty({ type: [String] }) channels!: readonly string[];
  @ApiProperty({ type: [String], description: 'ISO 3166-2:RU codes, unknown and abroad' })
  regions!: readonly string[];
  @ApiProperty({ type: [String] }) topics!: readonly string[];
  @ApiProperty({ type: [String] }) ageBands!: readonly string[];
  @ApiProperty({ type: [String] }) genderIdentities!: readonly string[];
  @ApiProperty({ type: [String] }) orientations!: readonly string[];
  @ApiProperty({ type: [String] }) contactOutcomes!: readonly string[];
  @ApiProperty({ type: [String] }) caseOutcomes!: readonly string[];
  @ApiProperty({ type: [String] }) consentScopes!: readonly string[];
  @ApiProperty({ type: [String] }) services!: readonly string[];
}
