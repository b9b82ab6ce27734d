import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessError, AccessException } from '@mayak/access';
import { Actor } from '@mayak/identity';
import { rowsOf } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';

export type NotificationType = 'emergency_page' | 'case_assigned' | 'break_glass' | 'sla_breached';

/** What a notification says: a type and a case id. Never anything about the caller. */
export interface NotificationView {
  id: string;
  type: NotificationType;
  caseId: string | null;
  createdAt: Date;
  readAt: Date | null;
}

export interface NewNotification {
  userId: string;
  type: NotificationType;
  caseId: string;
  /** Writing the same key twice (a retried job) creates one notification. */
  dedupeKey: string;
}

@Injectable()
export class NotificationsService {
  constructor(private readonly db: DataSource) {}

  /** Inside the caller's transaction; returns the notifications actually created. */
  async create(
    em: EntityManager,
    notifications: readonly NewNotification[],
  ): Promise<Array<{ id: string; userId: string; hasWebhook: boolean }>> {
    if (notifications.length === 0) return [];
    const params: unknown[] = [];
    const values = notifications.map((n) => {
      params.push(randomUUID(), n.userId, n.type, n.caseId, n.dedupeKey);
      const k = params.length;
      return `($${k - 4}::uuid, $${k - 3}::uuid, $${k - 2}, $${k - 1}::uuid, $${k})`;
    });
    // Whether each new notification's person has a webhook comes back with it: paging, where
    // this runs, needs it next, and a burst of pages is when round trips count.
    const rows = rowsOf<{ id: string; user_id: string; has_webhook: boolean }>(
      await em.query(
        `WITH created AS (
           INSERT INTO notifications (id, user_id, type, case_id, dedupe_key) VALUES ${values.join(', ')}
           ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
           RETURNING id, user_id)
         SELECT c.id, c.user_id,
                EXISTS (SELECT 1 FROM staff_webhooks w WHERE w.user_id = c.user_id) AS has_webhook
           FROM created c`,
        params,
      ),
    );
    return rows.map((r) => ({ id: r.id, userId: r.user_id, hasWebhook: r.has_webhook }));
  }

  /** A user's own notifications, newest first. Nobody reads anyone else's. */
  async list(actor: Actor, limit = 100): Promise<NotificationView[]> {
    const rows: NotificationRow[] = await this.db.query(
      `SELECT ${VIEW_COLUMNS} FROM notifications WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [actor.userId, limit],
    );
    return rows.map(view);
  }

  async get(userId: string, id: string): Promise<NotificationView | undefined> {
    const rows: NotificationRow[] = await this.db.query(
      `SELECT ${VIEW_COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0] ? view(rows[0]) : undefined;
  }

  async markRead(actor: Actor, id: string): Promise<NotificationView> {
    await this.db.query(
      `UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2`,
      [id, actor.userId],
    );
    const found = await this.get(actor.userId, id);
    if (!found) throw new AccessException(AccessError.NotFound);
    return found;
  }
}

/** What a notification's view is read from. */
const VIEW_COLUMNS = 'id, type, case_id, created_at, read_at';

interface NotificationRow {
  id: string;
  type: NotificationType;
  case_id: string | null;
  created_at: Date;
  read_at: Date | null;
}

function view(r: NotificationRow): NotificationView {
  return { id: r.id, type: r.type, caseId: r.case_id, createdAt: r.created_at, readAt: r.read_at };
}
