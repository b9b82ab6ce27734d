import { Inject, Injectable, Optional } from '@nestjs/common';
import { openAttributes } from '@mayak/contacts';
import {
  AppConfig,
  backgroundPace,
  daysOfWeek,
  DecryptionError,
  EnvelopeCipher,
  Logger,
  LOGGER,
  statsDayOf,
  UrgentWork,
  weekOfDay,
} from '@mayak/platform';
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
  stats_consented: boolean;
  dek_wrapped: Buffer;
  facts_enc: Buffer;
}

/**
 * Contacts opened between two turns of the event loop, under a millisecond of AES-GCM (a data
 * key unwrapped and the facts opened, about 15 µs a contact). The worker that rolls up a few
 * seconds of intake also delivers the emergency timers, a turn of the event loop at a time;
 * opened in one go, a rollup's 1,000 contacts held the loop for 15-25 ms (bench/README.md, "A
 * rollup beside the timers"). In the worker, each turn between slices also waits while
 * emergency work runs (backgroundPace).
 */
const OPEN_SLICE = 50;

const COLUMNS = `ct.id, ct.stats_consented, cf.dek_wrapped, cf.facts_enc`;
const FROM = `contacts ct JOIN contact_facts cf ON cf.contact_id = ct.id`;

/**
 * The one way statistics read contacts: every rollup, the retired part and the fallback count
 * go through here. A contact's categories are sealed with its facts (ContactAttributes), so
 * they are opened here, in the unsealed worker or API, never counted by SQL. So is its day:
 * the clear keeps only the call's week, so a day's contacts are its week's, kept by the day
 * their sealed start falls on. A contact whose facts do not open (tampered with, or its key
 * gone) is left out and logged by id.
 */
@Injectable()
export class ContactFactsSource {
  private readonly pace: () => Promise<void>;

  constructor(
    private readonly cipher: EnvelopeCipher,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() urgent?: UrgentWork,
  ) {
    this.pace = backgroundPace(urgent);
  }

  /** The contacts of these days (read by their weeks, kept by their own day). */
  async ofDays(em: EntityManager, days: readonly string[]): Promise<ContactFacts[]> {
    if (days.length === 0) return [];
    const wanted = new Set(days);
    const rows: FactRow[] = await em.query(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE ct.week = ANY($1::date[])`,
      [[...new Set(days.map(weekOfDay))]],
    );
    return (await this.open(rows)).filter((f) => wanted.has(f.day));
  }

  /** These contacts (those that exist). */
  async ofContacts(em: EntityManager, ids: readonly string[]): Promise<ContactFacts[]> {
    if (ids.length === 0) return [];
    const rows: FactRow[] = await em.query(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE ct.id = ANY($1::uuid[])`,
      [ids],
    );
    return this.open(rows);
  }

  /**
   * Every day that may have a contact, in order: the days of every week that has one (a day
   * of them with none counts as empty).
   */
  async allDays(em: EntityManager): Promise<string[]> {
    const rows: Array<{ week: string }> = await em.query(
      `SELECT DISTINCT week::text AS week FROM contacts ORDER BY 1`,
    );
    return rows.flatMap((r) => daysOfWeek(r.week));
  }

  private async open(rows: FactRow[]): Promise<ContactFacts[]> {
    const facts: ContactFacts[] = [];
    const unreadable: string[] = [];
    for (const [n, row] of rows.entries()) {
      if (n > 0 && n % OPEN_SLICE === 0) await this.pace();
      try {
        const a = openAttributes(this.cipher, row.id, row.dek_wrapped, row.facts_enc);
        facts.push({
          id: row.id,
          day: statsDayOf(new Date(a.startedAt), this.config.STATS_TIMEZONE),
          channel: a.channel,
          region: a.region,
          topics: a.topics,
          services: a.services,
          outcome: a.outcome,
          ageBand: a.ageBand,
          genderIdentity: a.genderIdentity,
          immediateRisk: a.immediateRisk,
          statsConsented: row.stats_consented,
        });
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        unreadable.push(row.id);
      }
    }
    if (unreadable.length > 0)
      this.logger.error(
        { contactIds: unreadable },
        'contact facts that do not open left out of statistics',
      );
    return facts;
  }
}
