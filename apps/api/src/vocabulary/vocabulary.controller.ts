import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CONSENT_SCOPES, SERVICES } from '@mayak/access';
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

const VOCABULARY = {
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

/** The fixed vocabularies, as codes: clients translate them. Any signed-in user may read them. */
@ApiTags('intake')
@Controller('vocabulary')
export class VocabularyController {
  @Get()
  get(): typeof VOCABULARY {
    return VOCABULARY;
  }
}
