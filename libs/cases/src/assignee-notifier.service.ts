import { Injectable } from '@nestjs/common';
import { NotificationsService } from '@mayak/notifications';
import { DataSource } from 'typeorm';

/**
 * The notify-assignee job of an older version: an in-app notification that a case is now
 * someone's. An assignment now writes it in its own transaction (CaseLifecycleService.assign);
 * this handler serves the jobs still in the outbox from before. Written once per (user,
 * case), so a retried job adds nothing. Skipped if the case has moved on to someone else.
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
