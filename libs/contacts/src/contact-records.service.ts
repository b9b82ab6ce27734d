import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { ConsentScope } from '@mayak/access';
import { DecryptionError, EnvelopeCipher } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { ContactsError, ContactsException } from './contacts.exception';

export interface ContactInput {
  volunteerId: string;
  callerId: string;
  channel: string;
  startedAt: Date;
  durationSeconds: number;
  region: string;
  pseudonym?: string;
  ageBand?: string;
  genderIdentity?: string;
  orientation?: string;
  topics: readonly string[];
  immediateRisk: boolean;
  summary?: string;
  outcome: string;
  services: readonly string[];
  consent: { scopes: readonly ConsentScope[]; textVersion: string; retentionDays: number };
}

/** A contact as far as a reader may see it; encrypted fields that were erased are null and listed. */
export interface ContactView {
  id: string;
  callerId: string;
  channel: string;
  startedAt: Date;
  durationSeconds: number;
  region: string;
  caller: {
    pseudonym: string | null;
    ageBand: string | null;
    genderIdentity: string | null;
    orientation: string | null;
  };
  topics: string[];
  immediateRisk: boolean;
  summary: string | null;
  outcome: string;
  services: string[];
  createdAt: Date;
  /** Encrypted fields that no longer exist (consent withdrawn, retention passed). */
  erased: string[];
}

export interface ContactRow {
  id: string;
  caller_id: string;
  channel: string;
  started_at: Date;
  duration_seconds: number;
  region: string;
  age_band: string | null;
  gender_identity: string | null;
  orientation: string | null;
  topics: string[];
  immediate_risk: boolean;
  outcome: string;
  services: string[];
  dek_wrapped: Buffer | null;
  pseudonym_enc: Buffer | null;
  summary_enc: Buffer | null;
  erased_at: Date | null;
  created_at: Date;
}

export const CONTACT_COLUMNS = `ct.id, ct.caller_id, ct.channel, ct.started_at, ct.duration_seconds, ct.region, ct.age_band,
  ct.gender_identity, ct.orientation, ct.topics, ct.immediate_risk, ct.outcome, ct.services, ct.dek_wrapped,
  ct.pseudonym_enc, ct.summary_enc, ct.erased_at, ct.created_at`;

/**
 * Contacts and the consent given on them. The summary and the pseudonym are encrypted under
 * the contact's own data key, bound to their row and column; everything categorical stays
 * plain for statistics.
 */
@Injectable()
export class ContactRecords {
  constructor(
    private readonly db: DataSource,
    private readonly cipher: EnvelopeCipher,
    private readonly audit: AuditTrail,
  ) {}

  async insert(
    em: EntityManager,
    input: ContactInput,
  ): Promise<{ contactId: string; consentId: string }> {
    const [ids] = await this.insertMany(em, [input]);
    return ids;
  }

  /**
   * Contacts and their consents, any number in one statement (group commit): every summary
   * and pseudonym sealed here under the contact's own new data key, the rows passed to
   * PostgreSQL as one JSON document.
   */
  async insertMany(
    em: EntityManager,
    inputs: readonly ContactInput[],
  ): Promise<Array<{ contactId: string; consentId: string }>> {
    if (inputs.length === 0) return [];
    const bytea = (value: Buffer | null) => (value ? `\\x${value.toString('hex')}` : null);
    const written = inputs.map((input) => {
      const contactId = randomUUID();
      const consentId = randomUUID();
      const dek = this.cipher.newDataKey('contacts', contactId);
      const seal = (column: string, value: string | undefined) =>
        value === undefined || value === ''
          ? null
          : this.cipher.encrypt(dek, { table: 'contacts', id: contactId, column }, value);
      return {
        ids: { contactId, consentId },
        row: {
          id: contactId,
          consent_id: consentId,
          caller_id: input.callerId,
          volunteer_id: input.volunteerId,
          channel: input.channel,
          started_at: input.startedAt.toISOString(),
          duration_seconds: input.durationSeconds,
          region: input.region,
          age_band: input.ageBand ?? null,
          gender_identity: input.genderIdentity ?? null,
          orientation: input.orientation ?? null,
          topics: input.topics,
          immediate_risk: input.immediateRisk,
          outcome: input.outcome,
          services: input.services,
          dek_wrapped: bytea(dek.wrapped),
          pseudonym_enc: bytea(seal('pseudonym', input.pseudonym)),
          summary_enc: bytea(seal('summary', input.summary)),
          retention_days: input.consent.retentionDays,
          scopes: input.consent.scopes,
          text_version: input.consent.textVersion,
        },
      };
    });
    await em.query(
      `WITH v AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS v (
           id uuid, consent_id uuid, caller_id uuid, volunteer_id uuid, channel text, started_at timestamptz,
           duration_seconds int, region text, age_band text, gender_identity text, orientation text,
           topics text[], immediate_risk boolean, outcome text, services text[], dek_wrapped bytea,
           pseudonym_enc bytea, summary_enc bytea, retention_days int, scopes text[], text_version text)),
       contact AS (
         INSERT INTO contacts (id, caller_id, volunteer_id, channel, started_at, duration_seconds, region, age_band,
                               gender_identity, orientation, topics, immediate_risk, outcome, services, dek_wrapped,
                               pseudonym_enc, summary_enc, expires_at, stats_consented)
         SELECT id, caller_id, volunteer_id, channel, started_at, duration_seconds, region, age_band,
                gender_identity, orientation, topics, immediate_risk, outcome, services, dek_wrapped,
                pseudonym_enc, summary_enc, now() + make_interval(days => retention_days), 'statistics' = ANY(scopes)
           FROM v
         RETURNING id)
       INSERT INTO consents (id, caller_id, contact_id, recorded_by, scopes, text_version, retention_days)
       SELECT v.consent_id, v.caller_id, v.id, v.volunteer_id, v.scopes, v.text_version, v.retention_days
         FROM v JOIN contact c ON c.id = v.id`,
      [JSON.stringify(written.map((w) => w.row))],
    );
    return written.map((w) => w.ids);
  }

  /** Opens a contact row for a reader. A ciphertext that does not open is recorded and refused. */
  async view(row: ContactRow, readerId: string): Promise<ContactView> {
    let summary: string | null = null;
    let pseudonym: string | null = null;
    const erased: string[] = [];
    if (row.erased_at || !row.dek_wrapped) {
      erased.push('summary', 'pseudonym');
    } else {
      try {
        const dek = this.cipher.unwrapDataKey('contacts', row.id, row.dek_wrapped);
        const bind = (column: string) => ({ table: 'contacts', id: row.id, column });
        summary = row.summary_enc
          ? this.cipher.decrypt(dek, bind('summary'), row.summary_enc)
          : null;
        pseudonym = row.pseudonym_enc
          ? this.cipher.decrypt(dek, bind('pseudonym'), row.pseudonym_enc)
          : null;
      } catch (error) {
        if (error instanceof DecryptionError) await this.unreadable(readerId, 'contact', row.id);
        throw error;
      }
    }
    return {
      id: row.id,
      callerId: row.caller_id,
      channel: row.channel,
      startedAt: row.started_at,
      durationSeconds: row.duration_seconds,
      region: row.region,
      caller: {
        pseudonym,
        ageBand: row.age_band,
        genderIdentity: row.gender_identity,
        orientation: row.orientation,
      },
      topics: row.topics,
      immediateRisk: row.immediate_risk,
      summary,
      outcome: row.outcome,
      services: row.services,
      createdAt: row.created_at,
      erased,
    };
  }

  async findForCase(contactId: string): Promise<ContactRow | undefined> {
    const rows: ContactRow[] = await this.db.query(
      `SELECT ${CONTACT_COLUMNS} FROM contacts ct WHERE ct.id = $1`,
      [contactId],
    );
    return rows[0];
  }

  /** A ciphertext that does not open means tampering or corruption: audited, and a generic error. */
  async unreadable(readerId: string, recordType: string, recordId: string): Promise<never> {
    await this.audit.record({
      actorId: readerId,
      action: 'crypto.decrypt',
      recordType,
      recordId,
      outcome: 'failure',
      reason: 'integrity',
    });
    throw new ContactsException(ContactsError.RecordUnreadable);
  }
}
