import { Inject, Injectable } from '@nestjs/common';
import {
  AppConfig,
  byteaText,
  EnvelopeCipher,
  KeyRing,
  Logger,
  LOGGER,
  SealingPass,
  statsDayOf,
  statsWeekOf,
} from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CallerLinks } from './caller-links';
import { sealAttributes } from './contact-attributes';

/** Callers whose waiting contacts one transaction seals. */
const CALLER_BATCH = 200;

interface UnsealedContact {
  contact_id: string;
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
  created_at: Date;
}

/**
 * Seals the contacts an older version kept in plaintext (see the SealedContacts migration),
 * as soon as this process holds the keys. Caller by caller, with the caller's row locked: an
 * intake of the same caller meanwhile waits, so the caller's counter and the tags of old and
 * new contacts stay one sequence, and passes in several processes never seal a contact twice.
 */
@Injectable()
export class ContactSealingPass extends SealingPass {
  constructor(
    private readonly db: DataSource,
    private readonly cipher: EnvelopeCipher,
    private readonly links: CallerLinks,
    private readonly config: AppConfig,
    ring: KeyRing,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ring, logger, 'contacts');
  }

  async sealRemaining(): Promise<number> {
    let sealed = 0;
    for (;;) {
      const batch = await this.db.transaction((em) => this.sealBatch(em));
      if (batch === undefined) break;
      sealed += batch;
    }
    if (sealed > 0) this.logger.info({ sealed }, 'plaintext contacts sealed');
    return sealed;
  }

  /** One batch of callers; undefined when nothing is left for this process. */
  private async sealBatch(em: EntityManager): Promise<number | undefined> {
    const callers: Array<{ id: string; contacts_enc: Buffer | null }> = await em.query(
      `SELECT id, contacts_enc FROM callers
        WHERE id IN (SELECT caller_id FROM contacts_unsealed)
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [CALLER_BATCH],
    );
    if (callers.length === 0) return undefined;
    const waiting: UnsealedContact[] = await em.query(
      `SELECT * FROM contacts_unsealed WHERE caller_id = ANY($1::uuid[]) ORDER BY caller_id, started_at, contact_id`,
      [callers.map((c) => c.id)],
    );
    const counts = new Map(
      callers.map((c) => [c.id, this.links.openCount(c.id, c.contacts_enc)] as const),
    );
    const rows = waiting.map((u) => {
      const count = counts.get(u.caller_id)!;
      const n = count.next;
      counts.set(u.caller_id, { next: n + 1, live: count.live + 1 });
      const facts = sealAttributes(this.cipher, u.contact_id, {
        callerId: u.caller_id,
        loggedAt: u.created_at.toISOString(),
        channel: u.channel,
        startedAt: u.started_at.toISOString(),
        durationSeconds: u.duration_seconds,
        region: u.region,
        ageBand: u.age_band,
        genderIdentity: u.gender_identity,
        orientation: u.orientation,
        topics: u.topics,
        immediateRisk: u.immediate_risk,
        outcome: u.outcome,
        services: u.services,
      });
      return {
        id: u.contact_id,
        day: statsDayOf(u.started_at, this.config.STATS_TIMEZONE),
        week: statsWeekOf(u.started_at, this.config.STATS_TIMEZONE),
        caller_tag: byteaText(this.links.tag(u.caller_id, n)),
        dek_wrapped: byteaText(facts.dek.wrapped),
        facts_enc: byteaText(facts.factsEnc),
      };
    });
    // Statistics count only sealed contacts, so only the call's own day changes. Its times in
    // the clear become its week, as new contacts are written (ContactRecords.insert).
    await em.query(
      `WITH v AS (
         SELECT *, (week::timestamp AT TIME ZONE $2) AS week_start
           FROM jsonb_to_recordset($1::jsonb) AS v (id uuid, day date, week date, caller_tag bytea, dek_wrapped bytea, facts_enc bytea)),
       facts AS (
         INSERT INTO contact_facts (contact_id, dek_wrapped, facts_enc) SELECT id, dek_wrapped, facts_enc FROM v),
       dirty AS (
         INSERT INTO stats_dirty_days (day) SELECT DISTINCT day FROM v),
       consent AS (
         UPDATE consents cs SET given_at = v.week_start FROM v WHERE cs.contact_id = v.id)
       UPDATE contacts ct SET week = v.week, caller_tag = v.caller_tag, created_at = v.week_start,
              expires_at = coalesce(
                v.week_start + (SELECT make_interval(days => cs.retention_days + 7)
                                  FROM consents cs WHERE cs.contact_id = ct.id),
                ct.expires_at)
         FROM v WHERE ct.id = v.id`,
      [JSON.stringify(rows), this.config.STATS_TIMEZONE],
    );
    await em.query(
      `UPDATE callers c SET contacts_enc = v.count FROM unnest($1::uuid[], $2::bytea[]) AS v (id, count) WHERE c.id = v.id`,
      [[...counts.keys()], [...counts].map(([id, count]) => this.links.sealCount(id, count))],
    );
    await em.query(`DELETE FROM contacts_unsealed WHERE contact_id = ANY($1::uuid[])`, [
      waiting.map((u) => u.contact_id),
    ]);
    return waiting.length;
  }
}
