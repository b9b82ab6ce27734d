import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { ConsentScope } from '@mayak/access';
import {
  AppConfig,
  byteaText,
  DecryptionError,
  EnvelopeCipher,
  statsWeekOf,
} from '@mayak/platform';
import { DataSource } from 'typeorm';
import { ContactAttributes, openAttributes, sealAttributes } from './contact-attributes';
import { ContactsError, ContactsException } from './contacts.exception';

export interface ContactInput {
  volunteerId: string;
  callerId: string;
  /** The caller's link to this contact (CallerLinks.tag). */
  callerTag: Buffer;
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
  /** Entries of the referral directory the caller was sent to; sealed with the summary. */
  referralIds?: readonly string[];
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
  /** Entries of the referral directory the caller was sent to (ids; the directory names them). */
  referralIds: string[];
  createdAt: Date;
  /** Encrypted fields that no longer exist (consent withdrawn, retention passed). */
  erased: string[];
}

export interface ContactRow {
  id: string;
  /** Monday of the call's week (YYYY-MM-DD, STATS_TIMEZONE). */
  week: string;
  dek_wrapped: Buffer | null;
  pseudonym_enc: Buffer | null;
  summary_enc: Buffer | null;
  referrals_enc: Buffer | null;
  erased_at: Date | null;
  created_at: Date;
  facts_dek_wrapped: Buffer;
  facts_enc: Buffer;
}

/** The most referrals a contact carries (the intake's limit). */
export const MAX_CONTACT_REFERRALS = 5;
/** A UUID in JSON with its comma is 39 characters: the longest list, and its brackets. */
const REFERRALS_PLAINTEXT_LENGTH = MAX_CONTACT_REFERRALS * 39 + 2;

/** A contact's referrals as sealed: JSON, padded with spaces to one length for all. */
function sealedReferrals(ids: readonly string[]): string {
  if (ids.length > MAX_CONTACT_REFERRALS) throw new Error('too many referrals for one contact');
  return JSON.stringify(ids).padEnd(REFERRALS_PLAINTEXT_LENGTH, ' ');
}

/** Select these FROM CONTACTS_WITH_FACTS. */
export const CONTACT_COLUMNS = `ct.id, ct.week::text AS week, ct.dek_wrapped, ct.pseudonym_enc, ct.summary_enc, ct.referrals_enc, ct.erased_at,
  ct.created_at, cf.dek_wrapped AS facts_dek_wrapped, cf.facts_enc`;
export const CONTACTS_WITH_FACTS = `contacts ct JOIN contact_facts cf ON cf.contact_id = ct.id`;

/**
 * Contacts, their facts and consents, from one JSON document of rows, as CTEs of an intake's
 * one statement (named contacts_*), its two parameters (ContactRecords.seal) being $first and
 * $first+1. Each new contact is marked for the statistics rollup in the same statement
 * (`stats_new_contacts`, read by StatsRollupService), so that no contact is stored unmarked
 * and the mark costs no statement of its own.
 * contacts_facts, contacts_marked and contacts_consents return a row for each contact, for a
 * statement to wait for them.
 */
export function contactsInsertCtes(first: number): string {
  return `contacts_v AS (
     SELECT *, (week::timestamp AT TIME ZONE $${first + 1}) AS week_start
       FROM jsonb_to_recordset($${first}::jsonb) AS v (
       id uuid, consent_id uuid, volunteer_id uuid, week date, caller_tag bytea, dek_wrapped bytea,
       pseudonym_enc bytea, summary_enc bytea, referrals_enc bytea, facts_dek_wrapped bytea, facts_enc bytea,
       retention_days int, stats_consented boolean, scopes text[], text_version text)),
   contacts_new AS (
     INSERT INTO contacts (id, volunteer_id, week, caller_tag, dek_wrapped, pseudonym_enc, summary_enc,
                           referrals_enc, expires_at, stats_consented, created_at)
     SELECT id, volunteer_id, week, caller_tag, dek_wrapped, pseudonym_enc, summary_enc,
            referrals_enc, week_start + make_interval(days => retention_days + 7), stats_consented, week_start
       FROM contacts_v
     RETURNING id),
   contacts_facts AS (
     INSERT INTO contact_facts (contact_id, dek_wrapped, facts_enc)
     SELECT v.id, v.facts_dek_wrapped, v.facts_enc FROM contacts_v v JOIN contacts_new c ON c.id = v.id
     RETURNING contact_id),
   contacts_marked AS (
     INSERT INTO stats_new_contacts (contact_id) SELECT id FROM contacts_new RETURNING contact_id),
   contacts_consents AS (
     INSERT INTO consents (id, contact_id, recorded_by, scopes, text_version, retention_days, given_at)
     SELECT v.consent_id, v.id, v.volunteer_id, v.scopes, v.text_version, v.retention_days, v.week_start
       FROM contacts_v v JOIN contacts_new c ON c.id = v.id
     RETURNING contact_id)`;
}

/**
 * Contacts and the consent given on them. Everything about a contact is sealed: the summary
 * and the pseudonym under the contact's own data key, its attributes under its facts' key
 * (see ContactAttributes); the clear keeps the day, and the link to the volunteer within
 * their window.
 */
@Injectable()
export class ContactRecords {
  constructor(
    private readonly db: DataSource,
    private readonly cipher: EnvelopeCipher,
    private readonly audit: AuditTrail,
    private readonly config: AppConfig,
  ) {}

  /**
   * The contacts sealed, with their ids, and the parameters contactsInsertCtes takes to
   * write them: for a statement that writes them with the rest of their intake.
   */
  seal(inputs: readonly ContactInput[]): {
    ids: Array<{ contactId: string; consentId: string }>;
    params: unknown[];
  } {
    const loggedAt = new Date();
    const written = inputs.map((input) => {
      const contactId = randomUUID();
      const consentId = randomUUID();
      const dek = this.cipher.newDataKey('contacts', contactId);
      const seal = (column: string, value: string | undefined) =>
        value === undefined || value === ''
          ? null
          : this.cipher.encrypt(dek, { table: 'contacts', id: contactId, column }, value);
      const facts = sealAttributes(this.cipher, contactId, {
        callerId: input.callerId,
        loggedAt: loggedAt.toISOString(),
        channel: input.channel,
        startedAt: input.startedAt.toISOString(),
        durationSeconds: input.durationSeconds,
        region: input.region,
        ageBand: input.ageBand ?? null,
        genderIdentity: input.genderIdentity ?? null,
        orientation: input.orientation ?? null,
        topics: [...input.topics],
        immediateRisk: input.immediateRisk,
        outcome: input.outcome,
        services: [...input.services],
      });
      return {
        ids: { contactId, consentId },
        row: {
          id: contactId,
          consent_id: consentId,
          volunteer_id: input.volunteerId,
          week: statsWeekOf(input.startedAt, this.config.STATS_TIMEZONE),
          caller_tag: byteaText(input.callerTag),
          dek_wrapped: byteaText(dek.wrapped),
          pseudonym_enc: byteaText(seal('pseudonym', input.pseudonym)),
          summary_enc: byteaText(seal('summary', input.summary)),
          // Which shelter or lawyer a caller was sent to is as telling as the summary, and
          // goes with it (withdrawal, retention): under the same data key. Every contact gets
          // one, of one length, referred or not: a column present only on referrals, or
          // longer with more of them, would tell a seized database the sealed outcome.
          referrals_enc: byteaText(seal('referrals', sealedReferrals(input.referralIds ?? []))),
          facts_dek_wrapped: byteaText(facts.dek.wrapped),
          facts_enc: byteaText(facts.factsEnc),
          retention_days: input.consent.retentionDays,
          stats_consented: input.consent.scopes.includes('statistics'),
          scopes: input.consent.scopes,
          text_version: input.consent.textVersion,
        },
      };
    });
    // Every time in the clear is the call's week (its Monday in STATS_TIMEZONE): when it was
    // logged, when its consent was given, and when its retention ends (the end of the week
    // plus the retention period: kept the whole period after the call, and at most six days
    // more). Each of them to the day or the second would be a join key with the telephone
    // records, and so would the week the volunteer logged it in, where it is the next one.
    return {
      ids: written.map((w) => w.ids),
      params: [JSON.stringify(written.map((w) => w.row)), this.config.STATS_TIMEZONE],
    };
  }

  /** A contact's sealed attributes, opened; a ciphertext that does not open is recorded and refused. */
  async attributes(row: ContactRow, readerId: string | null): Promise<ContactAttributes> {
    try {
      return openAttributes(this.cipher, row.id, row.facts_dek_wrapped, row.facts_enc);
    } catch (error) {
      if (error instanceof DecryptionError) await this.unreadable(readerId, 'contact', row.id);
      throw error;
    }
  }

  /** Opens a contact row for a reader. A ciphertext that does not open is recorded and refused. */
  async view(row: ContactRow, readerId: string): Promise<ContactView> {
    const facts = await this.attributes(row, readerId);
    let summary: string | null = null;
    let pseudonym: string | null = null;
    let referralIds: string[] = [];
    const erased: string[] = [];
    if (row.erased_at || !row.dek_wrapped) {
      erased.push('summary', 'pseudonym', 'referrals');
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
        referralIds = row.referrals_enc
          ? (JSON.parse(this.cipher.decrypt(dek, bind('referrals'), row.referrals_enc)) as string[])
          : [];
      } catch (error) {
        if (error instanceof DecryptionError) await this.unreadable(readerId, 'contact', row.id);
        throw error;
      }
    }
    return {
      id: row.id,
      callerId: facts.callerId,
      channel: facts.channel,
      startedAt: new Date(facts.startedAt),
      durationSeconds: facts.durationSeconds,
      region: facts.region,
      caller: {
        pseudonym,
        ageBand: facts.ageBand,
        genderIdentity: facts.genderIdentity,
        orientation: facts.orientation,
      },
      topics: facts.topics,
      immediateRisk: facts.immediateRisk,
      summary,
      outcome: facts.outcome,
      services: facts.services,
      referralIds,
      createdAt: new Date(facts.loggedAt),
      erased,
    };
  }

  async findForCase(contactId: string): Promise<ContactRow | undefined> {
    const rows: ContactRow[] = await this.db.query(
      `SELECT ${CONTACT_COLUMNS} FROM ${CONTACTS_WITH_FACTS} WHERE ct.id = $1`,
      [contactId],
    );
    return rows[0];
  }

  /** A ciphertext that does not open means tampering or corruption: audited, and a generic error. */
  async unreadable(readerId: string | null, recordType: string, recordId: string): Promise<never> {
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
