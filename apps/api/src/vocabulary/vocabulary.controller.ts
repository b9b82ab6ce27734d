import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AccessControl, CONSENT_SCOPES, SERVICES } from '@mayak/access';
import { Actor } from '@mayak/identity';
import { CASE_OUTCOMES } from '@mayak/cases';
import {
  AGE_BANDS,
  CHANNELS,
  CONTACT_OUTCOMES,
  GENDER_IDENTITIES,
  ORIENTATIONS,
  REGIONS,
  TOPICS,
} from '@mayak/intake';
import { CurrentActor } from '../http/request-context';
import { VocabularyResponse } from './vocabulary.dto';

const VOCABULARY: VocabularyResponse = {
  channels: CHANNELS,
  regions: REGIONS,
  topics: TOPICS,
  ageBands: AGE_BANDS,
  genderIdentities: GENDER_IDENTITIES,
  orientations: ORIENTATIONS,
  contactOutcomes: CONTACT_OUTCOMES,
  caseOutcomes: CASE_OUTCOMES,
  consentScopes: CONSENT_SCOPES,
  services: SERVICES,
};

/**
 * The fixed vocabularies, as codes: clients translate them. Whoever holds 'vocabulary:read'
 * (every role) may read them, decided in libs/access like every other capability.
 */
@ApiTags('intake')
@Controller('vocabulary')
export class VocabularyController {
  constructor(private readonly access: AccessControl) {}

  @Get()
  @ApiOkResponse({ type: VocabularyResponse })
  async get(@CurrentActor() actor: Actor): Promise<VocabularyResponse> {
    await this.access.requireCapability(actor, 'vocabulary:read', undefined, { audit: 'denials' });
    return VOCABULARY;
  }
}
