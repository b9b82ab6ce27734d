import { DataKey, DecryptionError, EnvelopeCipher } from '@mayak/platform';

/**
 * Everything about a contact that SQL has no need to see, sealed together in
 * `contact_facts` under a data key of the contact's facts (not the summary's: a withdrawal
 * that erases the summary leaves the contact countable in statistics; retention deletes
 * both). Plaintext left on the contact: its id, the week it started in (its Monday in
 * STATS_TIMEZONE, also as `created_at`, and in `expires_at` with the retention period), the
 * statistics-consent flag, the erased marker (its week), and, within the volunteer's window
 * only, the volunteer.
 */
export interface ContactAttributes {
  callerId: string;
  /** ISO 8601: when the volunteer logged it. Their window runs from here. */
  loggedAt: string;
  channel: string;
  /** ISO 8601. */
  startedAt: string;
  durationSeconds: number;
  region: string;
  ageBand: string | null;
  genderIdentity: string | null;
  orientation: string | null;
  topics: string[];
  immediateRisk: boolean;
  outcome: string;
  services: string[];
}

export const FACTS_TABLE = 'contact_facts';

const binding = (contactId: string) => ({
  table: FACTS_TABLE,
  id: contactId,
  column: 'facts_enc',
});

export function sealAttributes(
  cipher: EnvelopeCipher,
  contactId: string,
  attributes: ContactAttributes,
): { dek: DataKey; factsEnc: Buffer } {
  const dek = cipher.newDataKey(FACTS_TABLE, contactId);
  return { dek, factsEnc: cipher.encrypt(dek, binding(contactId), JSON.stringify(attributes)) };
}

/** Opens a contact's facts; DecryptionError if they do not open. */
export function openAttributes(
  cipher: EnvelopeCipher,
  contactId: string,
  dekWrapped: Buffer,
  factsEnc: Buffer,
): ContactAttributes {
  const dek = cipher.unwrapDataKey(FACTS_TABLE, contactId, dekWrapped);
  const attributes = JSON.parse(cipher.decrypt(dek, binding(contactId), factsEnc)) as unknown;
  if (!attributes || typeof attributes !== 'object' || !('callerId' in attributes))
    throw new DecryptionError();
  return attributes as ContactAttributes;
}
