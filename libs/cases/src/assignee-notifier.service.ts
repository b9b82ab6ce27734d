import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * The notify-assignee follow-up: an in-app notification that a case is now someone's. It
 * carries the case id only. Written once per (user, case), so a retried job adds nothing.
 * Skipped if the case has moved on to someone else in the meantime.
 */
@Injectable()
export class AssigneeNotifier {
  constructor(private readonly db: DataSource) {}

  async notify(caseId: string, assigneeId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO notifications (id, user_id, type, case_id)
       SELECT $1, $2, 'case_assigned', $3 FROM cases WHERE id = $3 AND assignee_id = $2
       ON CONFLICT (user_id, type, case_id) WHERE type = 'case_assigned' DO NOTHING`,
      [randomUUID(), assigneeId, caseId],
    );
  }
}
