import { Injectable } from '@nestjs/common';
import { NotificationsService } from '@mayak/notifications';
import { DataSource } from 'typeorm';

/**
 * The notify-assignee follow-up: an in-app notification that a case is now someone's. It
 * carries the case id only. Written once per (user, case), so a retried job adds nothing.
 * Skipped if the case has moved on to someone else in the meantime.
 */
@Injectable()
export class AssigneeNotifier {
  constructor(
    private readonly db: DataSource,
    private readonly notifications: NotificationsService,
  ) {}

  async notify(caseId: string, assigneeId: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const still: unknown[] = await em.query(
        `SELECT 1 FROM cases WHERE id = $1 AND assignee_id = $2`,
        [caseId, assigneeId],
      );
      if (still.length === 0) return;
      await this.notifications.create(em, [
        {
          userId: assigneeId,
          type: 'case_assigned',
          caseId,
          dedupeKey: `case-assigned-${caseId}-${assigneeId}`,
        },
      ]);
    });
  }
}
