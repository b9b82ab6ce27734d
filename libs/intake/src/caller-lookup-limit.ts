import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@mayak/audit';
import { Actor } from '@mayak/identity';
import { NotificationsService } from '@mayak/notifications';
import { AppConfig, countUp } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { IntakeError, IntakeException } from './intake.exception';

/**
 * "Has this number called before?" answers for anyone's number. One volunteer's account,
 * compromised or pressured, could walk a list of numbers; so each account may ask
 * CALLER_LOOKUPS_PER_HOUR times in a clock hour, and using up an hour's lookups tells every
 * coordinator who it was. The count per account and hour is all that is kept (staff_counters,
 * two days); which number was asked about is in the audit trail, as a keyed
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
      const counted = await countUp(em, actor.userId, 'caller_lookup', 'hour', limit);
      if (!counted) return false;
      if (counted.count === limit)
        await this.notifications.aboutStaffToCoordinators(
          em,
          'lookup_burst',
          actor.userId,
          counted.windowStart.toISOString(),
        );
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
}
