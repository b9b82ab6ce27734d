import { Inject, Injectable } from '@nestjs/common';
import {
  AppConfig,
  CipherBinding,
  DataKey,
  DecryptionError,
  EnvelopeCipher,
  ExactTimes,
  Logger,
  LOGGER,
} from '@mayak/platform';
import {
  CASE_TIMES,
  CaseRow,
  pageTimeBinding,
  sealedTimeColumn,
  withExactTimes,
} from './case-facts';
import { DataSource, EntityManager } from 'typeorm';

const BATCH = 200;

/** A closed case's exact times, as sealed into `cases.times_enc` (ISO strings). */
export interface SealedCaseTimes {
  case: Record<string, string | null>;
  /** By event id. */
  events: Record<string, string>;
  /** By note id. */
  notes: Record<string, { createdAt: string; erasedAt: string | null }>;
  /** By notification id. */
  notifications: Record<string, { createdAt: string; readAt: string | null }>;
  /** By "tier:round". */
  pages: Record<string, { pagedAt: string; dueAt: string; breachedAt: string | null }>;
  /** By grant id. */
  grants: Record<string, { grantedAt: string; expiresAt: string }>;
}

type Row = Record<string, unknown>;

/**
 * Once a case is closed its exact times serve nobody (no SLA runs, no queue orders it, no
 * clock escalates it), but they would let a seizure join it, by the minute, with the
 * telephone records. The worker seals them, with those of the case's events, notes,
 * notifications, pages and break-glass grants, into `cases.times_enc` under the contact's data
 * key, and leaves only the week (its Monday in STATS_TIMEZONE) in the plaintext columns. Whoever may read
 * the case's content reads the exact times again (CaseQueriesService); a contact whose data
 * key is gone takes them with it. A grant still running keeps its expiry until it ends.
 */
@Injectable()
export class CaseTimeSealer {
  constructor(
    private readonly db: DataSource,
    private readonly cipher: EnvelopeCipher,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly times: ExactTimes,
  ) {}

  /** Seals every closed case not sealed yet, a batch per transaction; how many it sealed. */
  async sealClosed(batch = BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = await this.db.transaction((em) => this.sealBatch(em, batch));
      total += sealed;
      if (sealed < batch) break;
    }
    // Grants that were still running when their case was sealed, now ended.
    await this.db.query(
      `UPDATE break_glass_grants g SET granted_at = ${week('g.granted_at')}, expires_at = ${week('g.expires_at')}
         FROM cases c
        WHERE c.id = g.case_id AND c.times_sealed AND g.expires_at < now()
          AND g.expires_at <> ${week('g.expires_at')}`,
      [this.config.STATS_TIMEZONE],
    );
    if (total > 0) this.logger.info({ cases: total }, 'closed cases: times sealed');
    return total;
  }

  /** The exact times of a sealed case, for a reader the policy let see its content. */
  open(caseId: string, dek: DataKey, timesEnc: Buffer): SealedCaseTimes | undefined {
    try {
      return JSON.parse(
        this.cipher.decrypt(dek, { table: 'cases', id: caseId, column: 'times' }, timesEnc),
      ) as SealedCaseTimes;
    } catch (error) {
      if (error instanceof DecryptionError) return undefined;
      throw error;
    }
  }

  private async sealBatch(em: EntityManager, batch: number): Promise<number> {
    // NO KEY UPDATE: the case's key does not change, so a notification or event being written
    // about it (a foreign-key check's KEY SHARE lock) does not make the sealer skip it.
    const locked: Array<CaseRow & { dek_wrapped: Buffer | null }> = await em.query(
      `SELECT c.id, ${CASE_TIMES.map((t) => `c.${t}, c.${sealedTimeColumn(t)}`).join(', ')},
                ct.id AS contact_id, ct.dek_wrapped
           FROM cases c JOIN contacts ct ON ct.id = c.contact_id
          WHERE c.status = 'closed' AND NOT c.times_sealed
          ORDER BY c.id LIMIT $1 FOR NO KEY UPDATE OF c SKIP LOCKED`,
      [batch],
    );
    if (locked.length === 0) return 0;
    // Open work kept its exact times sealed under the open-work key; they move under the
    // contact's own key, so that destroying the contact's key destroys them too.
    const cases = locked.map((c) => withExactTimes(this.times, c) as typeof c & Row);
    const exact = (binding: CipherBinding, sealed: unknown, plain: unknown) =>
      iso(this.times.open(binding, sealed as Buffer | null, (plain as Date | null) ?? null));
    const ids = cases.map((c) => c.id);
    const byCase = <T extends Row & { case_id: string }>(rows: T[]) => {
      const map = new Map<string, T[]>();
      for (const row of rows) map.set(row.case_id, [...(map.get(row.case_id) ?? []), row]);
      return map;
    };
    const children = async (sql: string) =>
      byCase(await em.query<Array<Row & { case_id: string }>>(sql, [ids]));
    const events = await children(
      `SELECT id::text, case_id, at, at_enc FROM case_events WHERE case_id = ANY($1::uuid[])`,
    );
    const notes = await children(
      `SELECT id, case_id, created_at, erased_at FROM case_notes WHERE case_id = ANY($1::uuid[])`,
    );
    const notifications = await children(
      `SELECT id, case_id, created_at, created_enc, read_at, read_enc FROM notifications WHERE case_id = ANY($1::uuid[])`,
    );
    const pages = await children(
      `SELECT case_id, tier, round, paged_at, paged_enc, due_at, due_enc, breached_at, breached_enc
         FROM emergency_pages WHERE case_id = ANY($1::uuid[])`,
    );
    const grants = await children(
      `SELECT id, case_id, granted_at, expires_at FROM break_glass_grants WHERE case_id = ANY($1::uuid[])`,
    );

    const sealed: Array<Buffer | null> = cases.map((c) => {
      const key = this.contactKey(c.contact_id, c.dek_wrapped);
      if (!key) return null;
      const times: SealedCaseTimes = {
        case: Object.fromEntries(CASE_TIMES.map((t) => [t, iso(c[t])])),
        events: Object.fromEntries(
          (events.get(c.id) ?? []).map((e) => [
            String(e.id),
            exact({ table: 'case_events', id: c.id, column: 'at' }, e.at_enc, e.at)!,
          ]),
        ),
        notes: Object.fromEntries(
          (notes.get(c.id) ?? []).map((n) => [
            String(n.id),
            { createdAt: iso(n.created_at)!, erasedAt: iso(n.erased_at) },
          ]),
        ),
        notifications: Object.fromEntries(
          (notifications.get(c.id) ?? []).map((n) => [
            String(n.id),
            {
              createdAt: exact(
                { table: 'notifications', id: String(n.id), column: 'created_at' },
                n.created_enc,
                n.created_at,
              )!,
              readAt: exact(
                { table: 'notifications', id: String(n.id), column: 'read_at' },
                n.read_enc,
                n.read_at,
              ),
            },
          ]),
        ),
        pages: Object.fromEntries(
          (pages.get(c.id) ?? []).map((p) => {
            const [tier, round] = [Number(p.tier), Number(p.round)];
            const at = (column: 'paged_at' | 'due_at' | 'breached_at') =>
              exact(
                pageTimeBinding(c.id, tier, round, column),
                p[sealedTimeColumn(column)],
                p[column],
              );
            return [
              `${tier}:${round}`,
              { pagedAt: at('paged_at')!, dueAt: at('due_at')!, breachedAt: at('breached_at') },
            ];
          }),
        ),
        grants: Object.fromEntries(
          (grants.get(c.id) ?? []).map((g) => [
            String(g.id),
            { grantedAt: iso(g.granted_at)!, expiresAt: iso(g.expires_at)! },
          ]),
        ),
      };
      try {
        return this.cipher.encrypt(
          key,
          { table: 'cases', id: c.id, column: 'times' },
          JSON.stringify(times),
        );
      } finally {
        key.key.fill(0);
      }
    });

    const tz = this.config.STATS_TIMEZONE;
    await em.query(
      `UPDATE cases c SET times_enc = v.enc, times_sealed = true,
              ${CASE_TIMES.map((t) => `${t} = ${week(`c.${t}`)}, ${sealedTimeColumn(t)} = NULL`).join(', ')}
         FROM unnest($2::uuid[], $3::bytea[]) AS v (id, enc)
        WHERE c.id = v.id`,
      [tz, ids, sealed],
    );
    await em.query(
      `UPDATE case_events SET at = ${week('at')}, at_enc = NULL WHERE case_id = ANY($2::uuid[])`,
      [tz, ids],
    );
    await em.query(
      `UPDATE case_notes SET created_at = ${week('created_at')}, erased_at = ${week('erased_at')}
        WHERE case_id = ANY($2::uuid[])`,
      [tz, ids],
    );
    await em.query(
      `UPDATE notifications SET created_at = ${week('created_at')}, read_at = ${week('read_at')},
              created_enc = NULL, read_enc = NULL
        WHERE case_id = ANY($2::uuid[])`,
      [tz, ids],
    );
    await em.query(
      `UPDATE emergency_pages SET paged_at = ${week('paged_at')}, due_at = ${week('due_at')},
              breached_at = ${week('breached_at')}, paged_enc = NULL, due_enc = NULL, breached_enc = NULL
        WHERE case_id = ANY($2::uuid[])`,
      [tz, ids],
    );
    await em.query(
      `UPDATE break_glass_grants SET granted_at = ${week('granted_at')}, expires_at = ${week('expires_at')}
        WHERE case_id = ANY($2::uuid[]) AND expires_at < now()`,
      [tz, ids],
    );
    return cases.length;
  }

  private contactKey(contactId: string, wrapped: Buffer | null): DataKey | undefined {
    if (!wrapped) return undefined;
    try {
      return this.cipher.unwrapDataKey('contacts', contactId, wrapped);
    } catch (error) {
      if (error instanceof DecryptionError) return undefined;
      throw error;
    }
  }
}

/**
 * SQL: midnight of the Monday of the week `column` falls in, in the statistics time zone ($1),
 * as a timestamptz. The week, not the day: beside the case's service a day's share attaches it
 * to that day's calls (docs/security/metadata.md, "Weeks").
 */
function week(column: string): string {
  return `date_trunc('week', ${column}, $1)`;
}

function iso(value: unknown): string | null {
  return value instanceof Date ? value.toISOString() : null;
}
