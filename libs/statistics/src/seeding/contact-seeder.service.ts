import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { StaffNames } from '@mayak/identity';
import { EnvelopeCipher } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { SyntheticContactGenerator } from './synthetic-contacts';

export interface SeedOptions {
  contacts: number;
  days: number;
  batch: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

const SYNTHETIC_USER = 'synthetic-data';

/**
 * Writes synthetic contacts (with their anonymous callers and consents) in batches of a few
 * thousand rows per statement. No summaries, no identifiers: nothing to encrypt, nothing real.
 */
@Injectable()
export class ContactSeeder {
  constructor(
    private readonly db: DataSource,
    private readonly names: StaffNames,
    private readonly cipher: EnvelopeCipher,
  ) {}

  async seed(options: SeedOptions): Promise<number> {
    const volunteerId = await this.syntheticVolunteer();
    const generator = new SyntheticContactGenerator(options.seed, options.days);
    let done = 0;
    while (done < options.contacts) {
      const size = Math.min(options.batch, options.contacts - done);
      const rows = Array.from({ length: size }, () => ({
        id: randomUUID(),
        callerId: randomUUID(),
        consentId: randomUUID(),
        ...generator.next(),
      }));
      await this.db.transaction(async (em) => {
        await em.query(`INSERT INTO callers (id) SELECT unnest($1::uuid[])`, [
          rows.map((r) => r.callerId),
        ]);
        await em.query(
          `INSERT INTO contacts (id, caller_id, volunteer_id, channel, started_at, duration_seconds, region, age_band, gender_identity,
                                 topics, immediate_risk, outcome, services, expires_at, stats_consented, created_at)
           SELECT id, caller_id, $1, channel, started_at, duration, region, age_band, gender_identity,
                  string_to_array(topics, ','), risk, outcome, coalesce(string_to_array(nullif(services, ''), ','), '{}'),
                  started_at + interval '3 years', consented, started_at
             FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::int[], $7::text[], $8::text[], $9::text[],
                         $10::text[], $11::bool[], $12::text[], $13::text[], $14::bool[])
               AS t(id, caller_id, channel, started_at, duration, region, age_band, gender_identity, topics, risk, outcome, services, consented)`,
          [
            volunteerId,
            rows.map((r) => r.id),
            rows.map((r) => r.callerId),
            rows.map((r) => r.channel),
            rows.map((r) => r.startedAt.toISOString()),
            rows.map((r) => r.durationSeconds),
            rows.map((r) => r.region),
            rows.map((r) => r.ageBand),
            rows.map((r) => r.genderIdentity),
            rows.map((r) => r.topics.join(',')),
            rows.map((r) => r.immediateRisk),
            rows.map((r) => r.outcome),
            rows.map((r) => r.services.join(',')),
            rows.map((r) => r.statistics),
          ],
        );
        await em.query(
          `INSERT INTO consents (id, caller_id, contact_id, recorded_by, scopes, text_version, retention_days, given_at)
           SELECT id, caller_id, contact_id, $1, string_to_array(scopes, ','), 'synthetic', 1095, date_trunc('day', given_at)
             FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[]) AS t(id, caller_id, contact_id, scopes, given_at)`,
          [
            volunteerId,
            rows.map((r) => r.consentId),
            rows.map((r) => r.callerId),
            rows.map((r) => r.id),
            rows.map((r) =>
              [
                ...(r.statistics ? ['statistics'] : []),
                ...r.services.map((s) => `service:${s}`),
              ].join(','),
            ),
            rows.map((r) => r.startedAt.toISOString()),
          ],
        );
      });
      done += size;
      options.onProgress?.(done, options.contacts);
    }
    return done;
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
