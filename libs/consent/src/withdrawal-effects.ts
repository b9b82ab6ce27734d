import { Injectable } from '@nestjs/common';
import { ConsentScope, Service, SERVICES, serviceScope } from '@mayak/access';
import { CaseLifecycleService, shredCaseNotes } from '@mayak/cases';
import { ExactTimes, OutboxWriter, statsRollupJob } from '@mayak/platform';
import { EntityManager } from 'typeorm';

const SERVICE_SCOPES = SERVICES.map(serviceScope);

/**
 * What a withdrawal does to the records, whoever decided it: at once (ConsentWithdrawalService)
 * or confirmed from the coordinators' queue (PendingWithdrawals).
 */
@Injectable()
export class WithdrawalEffects {
  constructor(
    private readonly lifecycle: CaseLifecycleService,
    private readonly outbox: OutboxWriter,
    private readonly times: ExactTimes,
  ) {}

  /**
   * Withdraws `withdrawn` from these contacts of the caller, inside the caller's transaction:
   * consents, open cases closed through the lifecycle, notes shredded, summaries erased when
   * no service consent is left, statistics, and (with `callerToo`) the caller's contact-back
   * details. Returns the cases closed. Access is the caller's to check.
   */
  async apply(
    em: EntityManager,
    actorId: string,
    callerId: string,
    contactIds: readonly string[],
    withdrawn: ConsentScope[],
    options: { callerToo: boolean },
  ): Promise<string[]> {
    if (contactIds.length === 0 && !options.callerToo) return [];
    await em.query(
      `UPDATE consents SET withdrawn_scopes = ARRAY(SELECT DISTINCT unnest(withdrawn_scopes || $2::text[]) ORDER BY 1),
              withdrawn_at = $3
        WHERE contact_id = ANY($1::uuid[])`,
      [contactIds, withdrawn, this.times.thisWeek()],
    );

    const services = SERVICES.filter((s: Service) => withdrawn.includes(serviceScope(s)));
    // The case lifecycle closes the open cases; the notes of every case of those services,
    // open or closed, are shredded by the one function that shreds notes.
    const closed = await this.lifecycle.closeWithdrawn(
      em,
      actorId,
      contactIds,
      services,
      withdrawn,
    );
    const withdrawnCases: Array<{ id: string }> = services.length
      ? await em.query(
          `SELECT id FROM cases WHERE contact_id = ANY($1::uuid[]) AND service = ANY($2::text[])`,
          [contactIds, services],
        )
      : [];
    await shredCaseNotes(
      em,
      withdrawnCases.map((c) => c.id),
      this.times.thisWeek(),
    );

    // A contact's summary and pseudonym were taken for the services the caller asked for;
    // when no service consent is left on it, they go.
    await em.query(
      `UPDATE contacts ct SET dek_wrapped = NULL, pseudonym_enc = NULL, summary_enc = NULL, referrals_enc = NULL, erased_at = $3
         FROM consents cs
        WHERE cs.contact_id = ct.id AND ct.id = ANY($1::uuid[]) AND ct.erased_at IS NULL
          AND cs.scopes && $2::text[]
          AND NOT (ARRAY(SELECT unnest(cs.scopes) EXCEPT SELECT unnest(cs.withdrawn_scopes)) && $2::text[])`,
      [contactIds, SERVICE_SCOPES, this.times.thisWeek()],
    );

    if (withdrawn.includes('statistics')) {
      // Out of every breakdown at once: the days it counted in are rebuilt by the next rollup
      // (every day of its week: the clear keeps no finer one).
      await em.query(
        `WITH changed AS (
           UPDATE contacts SET stats_consented = false WHERE id = ANY($1::uuid[]) AND stats_consented
           RETURNING week)
         INSERT INTO stats_dirty_days (day)
         SELECT DISTINCT generate_series(week::timestamp, week + time '00:00' + interval '6 days', interval '1 day')::date FROM changed`,
        [contactIds],
      );
      await this.outbox.add(em, [statsRollupJob()]);
    }

    if (options.callerToo && withdrawn.includes('contact_back'))
      await em.query(
        `UPDATE callers SET dek_wrapped = NULL, identifier_enc = NULL, contact_back_enc = NULL, updated_at = date_trunc('week', now()) WHERE id = $1`,
        [callerId],
      );
    return closed;
  }
}
