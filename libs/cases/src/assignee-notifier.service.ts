import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ExactTimes } from '@mayak/platform';
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
    private readonly times: ExactTimes,
  ) {}

  async notify(caseId: string, assigneeId: string): Promise<void> {
    const id = randomUUID();
    const created = this.times.seal({ table: 'notifications', id, column: 'created_at' });
    await this.db.query(
      `INSERT INTO notifications (id, user_id, type, case_id, created_at, created_enc)
       SELECT $1, $2, 'case_assigned', $3, $4, $5 FROM cases WHERE id = $3 AND assignee_id = $2
       ON CONFLICT (user_id, type, case_id) WHERE type = 'case_assigned' DO NOTHING`,
      [id, assigneeId, caseId, created.day, created.sealed],
    );
  }
}
