import { Injectable } from '@nestjs/common';
import { decideEarlierContact, Service } from '@mayak/access';
import { AppConfig, DecryptionError, EnvelopeCipher, KeyedHash, statsDayOf } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { openAttributes } from './contact-attributes';
import { CONTACT_COLUMNS, CONTACTS_WITH_FACTS, ContactRow } from './contact-records.service';
import { CallerRegistry } from './caller-registry.service';

/** One earlier contact of a caller, as a volunteer on a later call sees it. */
export interface EarlierContact {
  /** The day of the call (YYYY-MM-DD, STATS_TIMEZONE): the day, never the time. */
  date: string;
  /** The services it asked for that the caller's consent still covers. */
  services: Service[];
  outcome: string;
}

export interface CallerHistory {
  /** Newest first, at most HISTORY_LIMIT. */
  earlierContacts: EarlierContact[];
  /** Earlier contacts not shown because the caller's consent on them no longer allows it. */
  hiddenContacts: number;
}

/** The most earlier contacts one lookup shows. */
export const HISTORY_LIMIT = 20;

/**
 * A caller's earlier contacts, found through their links (CallerLinks: nothing in the clear
 * joins two calls), each shown as far as the consent given on it allows
 * (decideEarlierContact): the day, the services still consented to, the outcome. Access
 * and auditing are the asker's (IntakeService.lookup).
 */
@Injectable()
export class CallerHistoryReader {
  constructor(
    private readonly db: DataSource,
    private readonly hash: KeyedHash,
    private readonly cipher: EnvelopeCipher,
    private readonly registry: CallerRegistry,
    private readonly config: AppConfig,
  ) {}

  async of(identifier: string): Promise<CallerHistory> {
    const callers: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM callers WHERE identifier_hash = ANY($1)`,
      [this.hash.callerIdentifiers(identifier).map((h) => h.hash)],
    );
    const contactIds: string[] = [];
    for (const caller of callers)
      contactIds.push(...((await this.registry.contactIdsOf(this.db.manager, caller.id)) ?? []));
    if (contactIds.length === 0) return { earlierContacts: [], hiddenContacts: 0 };
    const rows: Array<ContactRow & { scopes: string[]; withdrawn_scopes: string[] }> =
      await this.db.query(
        `SELECT ${CONTACT_COLUMNS}, cs.scopes, cs.withdrawn_scopes
           FROM ${CONTACTS_WITH_FACTS} JOIN consents cs ON cs.contact_id = ct.id
          WHERE ct.id = ANY($1::uuid[])`,
        [contactIds],
      );
    let hiddenContacts = 0;
    const shown: Array<{ at: number } & EarlierContact> = [];
    for (const row of rows) {
      let facts;
      try {
        facts = openAttributes(this.cipher, row.id, row.facts_dek_wrapped, row.facts_enc);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        hiddenContacts++;
        continue;
      }
      const decision = decideEarlierContact({
        scopes: row.scopes,
        withdrawnScopes: row.withdrawn_scopes ?? [],
        erased: row.erased_at !== null || !row.dek_wrapped,
        services: facts.services,
      });
      if (!decision.visible) {
        hiddenContacts++;
        continue;
      }
      const startedAt = new Date(facts.startedAt);
      shown.push({
        at: startedAt.getTime(),
        date: statsDayOf(startedAt, this.config.STATS_TIMEZONE),
        services: decision.services,
        outcome: facts.outcome,
      });
    }
    shown.sort((a, b) => b.at - a.at);
    return {
      earlierContacts: shown.slice(0, HISTORY_LIMIT).map(({ date, services, outcome }) => ({
        date,
        services,
        outcome,
      })),
      hiddenContacts,
    };
  }
}
