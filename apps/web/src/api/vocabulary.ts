import { useEffect, useState } from 'react';
import { knownCodes } from '../i18n/vocabulary-labels';
import { api } from './client';
import type { Vocabulary } from './types';

/**
 * The lists this build was made with, shown for the moment before the server's arrive so that
 * the intake form is usable at once; the server's lists then replace them.
 */
export const BUILT_IN_VOCABULARY: Vocabulary = {
  channels: knownCodes('channels'),
  regions: knownCodes('regions'),
  topics: knownCodes('topics'),
  ageBands: knownCodes('ageBands'),
  genderIdentities: knownCodes('genderIdentities'),
  orientations: knownCodes('orientations'),
  contactOutcomes: knownCodes('contactOutcomes'),
  caseOutcomes: knownCodes('caseOutcomes').filter((code) => code !== 'withdrawn'),
  consentScopes: knownCodes('consentScopes'),
  services: knownCodes('services'),
};

let cached: Promise<Vocabulary> | undefined;

function load(): Promise<Vocabulary> {
  cached ??= api.get<Vocabulary>('/api/vocabulary').catch((error: unknown) => {
    // A dead session or a network error: the next screen that asks tries again.
    cached = undefined;
    throw error;
  });
  return cached;
}

/** The server's code lists (its word is final: it validates against them), cached per page. */
export function useVocabulary(): Vocabulary {
  const [vocabulary, setVocabulary] = useState<Vocabulary>(BUILT_IN_VOCABULARY);
  useEffect(() => {
    let live = true;
    load()
      .then((v) => live && setVocabulary(v))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return vocabulary;
}
