import { SERVICES } from '@mayak/access';
import {
  AGE_BANDS,
  CHANNELS,
  CONTACT_OUTCOMES,
  GENDER_IDENTITIES,
  REGIONS,
  TOPICS,
} from '@mayak/intake';
import { ContactFacts } from './contact-facts';

/** What contacts can be broken down by. */
export const DIMENSIONS = [
  'channel',
  'region',
  'topic',
  'service',
  'outcome',
  'ageBand',
  'genderIdentity',
  'immediateRisk',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface DimensionDefinition {
  /** The rollup table's column. */
  readonly column: string;
  /** The value for one contact row `ct` (for multi-valued dimensions: the array to unnest). */
  readonly source: string;
  /** The same, in memory: the values one contact counts under (several for topics and services). */
  readonly of: (contact: ContactFacts) => readonly string[];
  /** Topics and services: a contact counts once under each of its values. */
  readonly multiValued: boolean;
  /** Every value a cell can have, for validating filters. */
  readonly values: readonly string[];
}

const NONE: readonly string[] = ['none'];
const UNSTATED: readonly string[] = ['unstated'];
const TRUE: readonly string[] = ['true'];
const FALSE: readonly string[] = ['false'];

/** A contact that names no topic (or asks for no service) counts under 'none'; a field not stated, under 'unstated'. */
export const DIMENSION: { readonly [D in Dimension]: DimensionDefinition } = {
  channel: {
    column: 'channel',
    source: 'ct.channel',
    of: (c) => [c.channel],
    multiValued: false,
    values: CHANNELS,
  },
  region: {
    column: 'region',
    source: 'ct.region',
    of: (c) => [c.region],
    multiValued: false,
    values: REGIONS,
  },
  topic: {
    column: 'topic',
    source: `CASE WHEN cardinality(ct.topics) = 0 THEN ARRAY['none'] ELSE ct.topics END`,
    of: (c) => (c.topics.length === 0 ? NONE : c.topics),
    multiValued: true,
    values: [...TOPICS, 'none'],
  },
  service: {
    column: 'service',
    source: `CASE WHEN cardinality(ct.services) = 0 THEN ARRAY['none'] ELSE ct.services END`,
    of: (c) => (c.services.length === 0 ? NONE : c.services),
    multiValued: true,
    values: [...SERVICES, 'none'],
  },
  outcome: {
    column: 'outcome',
    source: 'ct.outcome',
    of: (c) => [c.outcome],
    multiValued: false,
    values: CONTACT_OUTCOMES,
  },
  ageBand: {
    column: 'age_band',
    source: `coalesce(ct.age_band, 'unstated')`,
    of: (c) => (c.ageBand === null ? UNSTATED : [c.ageBand]),
    multiValued: false,
    values: [...AGE_BANDS, 'unstated'],
  },
  genderIdentity: {
    column: 'gender_identity',
    source: `coalesce(ct.gender_identity, 'unstated')`,
    of: (c) => (c.genderIdentity === null ? UNSTATED : [c.genderIdentity]),
    multiValued: false,
    values: [...GENDER_IDENTITIES, 'unstated'],
  },
  immediateRisk: {
    column: 'immediate_risk',
    source: 'ct.immediate_risk::text',
    of: (c) => (c.immediateRisk ? TRUE : FALSE),
    multiValued: false,
    values: ['true', 'false'],
  },
};

export const isDimension = (value: string): value is Dimension =>
  (DIMENSIONS as readonly string[]).includes(value);

/** Dimensions in their canonical order, without repeats. */
export function canonical(dimensions: Iterable<Dimension>): Dimension[] {
  const set = new Set(dimensions);
  return DIMENSIONS.filter((d) => set.has(d));
}
