import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { Actor } from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import { AppConfig } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { IntakeError, IntakeException } from './intake.exception';

/**
 * "Has this number called before?" answers for anyone's number. One volunteer's account,
 * compromised or pressured, could walk a list of numbers; so each account may ask
 * CALLER_LOOKUPS_PER_HOUR times in a clock hour, and using up an hour's lookups tells every
 * coordinator who it was. The count per account and hour is all that is kept (two hours, by
 * the retention sweep); which number was asked about is in the audit trail, as a keyed
 * pseudonym.
 */
@Injectable()
export class CallerLookupLimit {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * Counts one lookup; throws (429) when the hour's are used up. The refusal is audited under
   * the number's pseudonym, like the lookup it refused.
   */
  async take(actor: Actor, number: { type: string; id: string }): Promise<void> {
    const limit = this.config.CALLER_LOOKUPS_PER_HOUR;
    // Counted, and reported when the hour's last lookup is used, in one transaction. A
    // refusal changes nothing: the count stops at the limit.
    const allowed = await this.db.transaction(async (em) => {
      const counted: Array<{ lookups: number; window: Date }> = await em.query(
        `INSERT INTO caller_lookup_windows (user_id, window_start, lookups)
         VALUES ($1, date_trunc('hour', now()), 1)
         ON CONFLICT (user_id, window_start)
           DO UPDATE SET lookups = caller_lookup_windows.lookups + 1
           WHERE caller_lookup_windows.lookups < $2
         RETURNING lookups, window_start AS window`,
        [actor.userId, limit],
      );
      if (counted.length === 0) return false;
      if (counted[0].lookups === limit) await this.report(em, actor.userId, counted[0].window);
      return true;
    });
    if (!allowed) {
      await this.audit.record({
        actorId: actor.userId,
        action: 'caller:lookup',
        recordType: number.type,
        recordId: number.id,
        outcome: 'deny',
        reason: 'rate_limited',
      });
      throw new IntakeException(
        IntakeError.TooManyLookups,
        `At most ${limit} caller lookups an hour per account; the coordinators have been told. Try again next hour.`,
      );
    }
  }

  private async report(em: EntityManager, userId: string, window: Date): Promise<void> {
    const coordinators: Array<{ id: string }> = await em.query(
      `SELECT id FROM users WHERE disabled_at IS NULL AND 'coordinator' = ANY(roles) ORDER BY id`,
    );
    await this.notifications.create(
      em,
      coordinators.map(({ id }) => ({
        userId: id,
        type: 'lookup_burst' as const,
        aboutUserId: userId,
        dedupeKey: `lookup-burst-${userId}-${window.toISOString()}-${id}`,
      })),
    );
  }
}
