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
  /** The values one contact counts under: one, or for topics and services any number (at least one). */
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
  channel: { of: (c) => [c.channel], multiValued: false, values: CHANNELS },
  region: { of: (c) => [c.region], multiValued: false, values: REGIONS },
  topic: {
    of: (c) => (c.topics.length === 0 ? NONE : c.topics),
    multiValued: true,
    values: [...TOPICS, 'none'],
  },
  service: {
    of: (c) => (c.services.length === 0 ? NONE : c.services),
    multiValued: true,
    values: [...SERVICES, 'none'],
  },
  outcome: { of: (c) => [c.outcome], multiValued: false, values: CONTACT_OUTCOMES },
  ageBand: {
    of: (c) => (c.ageBand === null ? UNSTATED : [c.ageBand]),
    multiValued: false,
    values: [...AGE_BANDS, 'unstated'],
  },
  genderIdentity: {
    of: (c) => (c.genderIdentity === null ? UNSTATED : [c.genderIdentity]),
    multiValued: false,
    values: [...GENDER_IDENTITIES, 'unstated'],
  },
  immediateRisk: {
    of: (c) => (c.immediateRisk ? TRUE : FALSE),
    multiValued: false,
    values: ['true', 'false'],
  },
};

/**
 * The caller's profile and the call's course: every breakdown over two or more of these is a
 * level of one protected table per month, the cover (disclosure/cover-table.ts), and they
 * combine with no other dimension. Single-valued dimensions only, so the cover's margins add up.
 */
export const COVER_DIMENSIONS = [
  'channel',
  'outcome',
  'ageBand',
  'genderIdentity',
] as const satisfies readonly Dimension[];

export const isDimension = (value: string): value is Dimension =>
  (DIMENSIONS as readonly string[]).includes(value);

/** Dimensions in their canonical order, without repeats. */
export function canonical(dimensions: Iterable<Dimension>): Dimension[] {
  const set = new Set(dimensions);
  return DIMENSIONS.filter((d) => set.has(d));
}
