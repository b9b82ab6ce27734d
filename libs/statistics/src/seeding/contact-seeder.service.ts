import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { withinVolunteerWindow } from '@mayak/access';
import { StaffNames } from '@mayak/identity';
import { CallerLinks, CallerRegistry, RecognisedCaller, sealAttributes } from '@mayak/contacts';
import { AppConfig, byteaText, EnvelopeCipher, statsWeekOf } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { SyntheticContactGenerator } from './synthetic-contacts';

export interface SeedOptions {
  contacts: number;
  days: number;
  batch: number;
  seed: number;
  /**
   * Every contact from this one caller (a phone number or handle), recognised as intake
   * recognises a repeat caller: their counter moves on and each contact carries its tag. For
   * benchmarks of a caller with a long history; without it, each contact is a caller of its own.
   */
  caller?: string;
  onProgress?: (done: number, total: number) => void;
}

const SYNTHETIC_USER = 'synthetic-data';

/**
 * Writes synthetic contacts (with their anonymous callers and consents) in batches of a few
 * thousand rows per statement. No summaries, no identifiers, nothing real; the facts are
 * sealed as intake seals them.
 */
@Injectable()
export class ContactSeeder {
  constructor(
    private readonly db: DataSource,
    private readonly names: StaffNames,
    private readonly cipher: EnvelopeCipher,
    private readonly links: CallerLinks,
    private readonly callers: CallerRegistry,
    private readonly config: AppConfig,
  ) {}

  async seed(options: SeedOptions): Promise<number> {
    const volunteerId = await this.syntheticVolunteer();
    const generator = new SyntheticContactGenerator(options.seed, options.days);
    let done = 0;
    while (done < options.contacts) {
      const size = Math.min(options.batch, options.contacts - done);
      await this.db.transaction(async (em) => {
        // One known caller: recognised the way intake recognises them (in this transaction, so
        // the counter and the tags commit together); otherwise a new anonymous caller each.
        const known = options.caller
          ? await this.callers.recogniseMany(
              em,
              Array.from({ length: size }, () => ({ identifier: options.caller })),
            )
          : undefined;
        await this.writeBatch(em, volunteerId, size, generator, known);
      });
      done += size;
      options.onProgress?.(done, options.contacts);
    }
    // Synthetic rows, dated by nothing real: RowRestamp need not rewrite them (millions, for
    // the bench) at its next pass. It starts again from here.
    await this.db.query(`UPDATE row_restamps SET since_xid = txid_current()`);
    return done;
  }

  private async writeBatch(
    em: EntityManager,
    volunteerId: string,
    size: number,
    generator: SyntheticContactGenerator,
    known: readonly RecognisedCaller[] | undefined,
  ): Promise<void> {
    const rows = Array.from({ length: size }, (_, i) => ({
      id: randomUUID(),
      callerId: known ? known[i].callerId : randomUUID(),
      consentId: randomUUID(),
      ...generator.next(),
    }));
    const now = Date.now();
    const sealed = rows.map((r, i) => {
      const loggedAt = new Date(r.startedAt.getTime() + r.durationSeconds * 1000);
      const facts = sealAttributes(this.cipher, r.id, {
        callerId: r.callerId,
        loggedAt: loggedAt.toISOString(),
        channel: r.channel,
        startedAt: r.startedAt.toISOString(),
        durationSeconds: r.durationSeconds,
        region: r.region,
        ageBand: r.ageBand,
        genderIdentity: r.genderIdentity,
        orientation: null,
        topics: r.topics,
        immediateRisk: r.immediateRisk,
        outcome: r.outcome,
        services: r.services,
      });
      return {
        id: r.id,
        // Linked to the (synthetic) volunteer only within their window, as VolunteerLinkExpiry
        // leaves every older contact: seeded unlinked, the worker's next minutely pass has no
        // two years of links to forget (500,000 rows rewritten in a bench's statistics window).
        volunteer_id: withinVolunteerWindow(
          loggedAt,
          this.config.VOLUNTEER_CONTACT_WINDOW_HOURS,
          now,
        )
          ? volunteerId
          : null,
        caller_id: r.callerId,
        consent_id: r.consentId,
        week: statsWeekOf(r.startedAt, this.config.STATS_TIMEZONE),
        // A known caller's row and counter are written; an anonymous one's go in with its contact.
        caller_count: known
          ? null
          : byteaText(this.links.sealCount(r.callerId, { next: 1, live: 1 })),
        caller_tag: byteaText(known ? known[i].tag : this.links.tag(r.callerId, 0)),
        facts_dek_wrapped: byteaText(facts.dek.wrapped),
        facts_enc: byteaText(facts.factsEnc),
        stats_consented: r.statistics,
        scopes: [
          ...(r.statistics ? ['statistics'] : []),
          ...r.services.map((service) => `service:${service}`),
        ],
      };
    });
    // Anonymous callers have one contact each; a known caller all of them. Found by tag only.
    await em.query(
      `WITH v AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS v (
             id uuid, volunteer_id uuid, caller_id uuid, consent_id uuid, week date, caller_count bytea, caller_tag bytea,
             facts_dek_wrapped bytea, facts_enc bytea, stats_consented boolean, scopes text[])),
         caller AS (
           INSERT INTO callers (id, contacts_enc)
           SELECT caller_id, caller_count FROM v WHERE caller_count IS NOT NULL),
         contact AS (
           INSERT INTO contacts (id, volunteer_id, week, caller_tag, expires_at, stats_consented, created_at)
           SELECT id, volunteer_id, week, caller_tag, (week + 1095)::timestamp AT TIME ZONE $2, stats_consented,
                  week::timestamp AT TIME ZONE $2
             FROM v RETURNING id),
         facts AS (
           INSERT INTO contact_facts (contact_id, dek_wrapped, facts_enc)
           SELECT v.id, v.facts_dek_wrapped, v.facts_enc FROM v JOIN contact c ON c.id = v.id)
         INSERT INTO consents (id, contact_id, recorded_by, scopes, text_version, retention_days, given_at)
         SELECT v.consent_id, v.id, v.volunteer_id, v.scopes, 'synthetic', 1095, v.week::timestamp AT TIME ZONE $2 FROM v JOIN contact c ON c.id = v.id`,
      [JSON.stringify(sealed), this.config.STATS_TIMEZONE],
    );
  }

  /** The disabled account that "logs" synthetic contacts, created once. */
  private async syntheticVolunteer(): Promise<string> {
    const id = randomUUID();
    const dek = this.cipher.newDataKey('users', id);
    const rows: Array<{ id: string }> = await this.db.query(
      `INSERT INTO users (id, username_hash, username_enc, password_hash, roles, dek_wrapped, disabled_at)
       VALUES ($1, $2, $3, '!', '{volunteer}', $4, now())
       ON CONFLICT (username_hash) DO UPDATE SET updated_at = now()
       RETURNING id`,
      [
        id,
        this.names.lookupHash(SYNTHETIC_USER),
        this.names.seal(dek, id, SYNTHETIC_USER),
        dek.wrapped,
      ],
    );
    return rows[0].id;
  }
}
