import { INestApplicationContext } from '@nestjs/common';
import { openAttributes, sealAttributes } from '@mayak/contacts';
import { EnvelopeCipher } from '@mayak/platform';
import { DataSource } from 'typeorm';

/**
 * Makes a contact look as if it was logged `ms` ago: the time of logging is sealed with its
 * facts, so a test that needs an old contact reseals them (the clear keeps only the call's
 * week, which this leaves as it is).
 */
export async function backdateContact(
  app: INestApplicationContext,
  contactId: string,
  ms: number,
): Promise<void> {
  const db = app.get(DataSource);
  const cipher = app.get(EnvelopeCipher);
  const [row] = await db.query<Array<{ dek_wrapped: Buffer; facts_enc: Buffer }>>(
    `SELECT dek_wrapped, facts_enc FROM contact_facts WHERE contact_id = $1`,
    [contactId],
  );
  if (!row) throw new Error(`no contact ${contactId}`);
  const facts = openAttributes(cipher, contactId, row.dek_wrapped, row.facts_enc);
  const loggedAt = new Date(Date.now() - ms);
  const sealed = sealAttributes(cipher, contactId, { ...facts, loggedAt: loggedAt.toISOString() });
  await db.query(
    `UPDATE contact_facts SET dek_wrapped = $2, facts_enc = $3 WHERE contact_id = $1`,
    [contactId, sealed.dek.wrapped, sealed.factsEnc],
  );
}
