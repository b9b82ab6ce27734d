import { Injectable } from '@nestjs/common';
import { AppConfig } from '@mayak/platform';
import { EntityManager } from 'typeorm';

/**
 * What statistics know of one contact: its day and the values it is counted under. Empty
 * topics or services, and an unstated age band or gender identity, are kept as they are;
 * ./dimensions.ts says what they count as.
 */
export interface ContactFacts {
  id: string;
  /** YYYY-MM-DD in STATS_TIMEZONE. */
  day: string;
  channel: string;
  region: string;
  topics: string[];
  services: string[];
  outcome: string;
  ageBand: string | null;
  genderIdentity: string | null;
  immediateRisk: boolean;
  statsConsented: boolean;
}

interface FactRow {
  id: string;
  day: string;
  channel: string;
  region: string;
  topics: string[];
  services: string[];
  outcome: string;
  age_band: string | null;
  gender_identity: string | null;
  immediate_risk: boolean;
  stats_consented: boolean;
}

const COLUMNS = `ct.id, (ct.started_at AT TIME ZONE $2)::date::text AS day, ct.channel, ct.region,
  ct.topics, ct.services, ct.outcome, ct.age_band, ct.gender_identity, ct.immediate_risk, ct.stats_consented`;

/**
 * The one way statistics read contacts: every rollup, the retired part and the fallback count
 * go through here, and nothing in the statistics module reads a contact's categories by SQL
 * of its own. When a contact's categories become ciphertext, only this class changes (it
 * will decrypt them); the rest of the module already works on the facts in memory.
 */
@Injectable()
export class ContactFactsSource {
  constructor(private readonly config: AppConfig) {}

  /** The contacts of these days. */
  async ofDays(em: EntityManager, days: readonly string[]): Promise<ContactFacts[]> {
    if (days.length === 0) return [];
    // One index range per day, not a scan between the first and the last.
    const rows: FactRow[] = await em.query(
      `SELECT ${COLUMNS}
         FROM unnest($1::date[]) AS d(day)
         JOIN contacts ct ON ct.started_at >= d.day::timestamp AT TIME ZONE $2
                         AND ct.started_at < (d.day + 1)::timestamp AT TIME ZONE $2`,
      [[...new Set(days)], this.config.STATS_TIMEZONE],
    );
    return rows.map(toFacts);
  }

  /** These contacts (those that exist). */
  async ofContacts(em: EntityManager, ids: readonly string[]): Promise<ContactFacts[]> {
    if (ids.length === 0) return [];
    const rows: FactRow[] = await em.query(
      `SELECT ${COLUMNS} FROM contacts ct WHERE ct.id = ANY($1::uuid[])`,
      [ids, this.config.STATS_TIMEZONE],
    );
    return rows.map(toFacts);
  }

  /** Every day that has a contact, in order. */
  async allDays(em: EntityManager): Promise<string[]> {
    const rows: Array<{ day: string }> = await em.query(
      `SELECT DISTINCT (started_at AT TIME ZONE $1)::date::text AS day FROM contacts ORDER BY 1`,
      [this.config.STATS_TIMEZONE],
    );
    return rows.map((r) => r.day);
  }
}

function toFacts(row: FactRow): ContactFacts {
  return {
    id: row.id,
    day: row.day,
    channel: row.channel,
    region: row.region,
    topics: row.topics,
    services: row.services,
    outcome: row.outcome,
    ageBand: row.age_band,
    genderIdentity: row.gender_identity,
    immediateRisk: row.immediate_risk,
    statsConsented: row.stats_consented,
  };
}
