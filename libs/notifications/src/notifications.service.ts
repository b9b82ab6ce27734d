import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessError, AccessException } from '@mayak/access';
import { activeHolderIds, Actor } from '@mayak/identity';
import { ExactTimes, preparedStatement, rowsOf, runPrepared } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';

export type NotificationType =
  | 'emergency_page'
  | 'case_assigned'
  /** To a case's assignee: the day of a follow-up (a call back) has come. */
  | 'follow_up_due'
  /** To a colleague: a case was handed over to them; accept or refuse it. */
  | 'handover_offered'
  /** To the sender of a handover: the colleague refused it, the case stays theirs. */
  | 'handover_refused'
  | 'break_glass'
  | 'sla_breached'
  /** To coordinators: a staff member used up the hour's caller lookups. */
  | 'lookup_burst'
  /** To coordinators: a staff member declined as many pool cases as a day allows. */
  | 'decline_burst'
  /** To coordinators: a withdrawal waits for their confirmation (PendingWithdrawals). */
  | 'withdrawal_pending'
  /** To coordinators: a staff member asked for WITHDRAWALS_PER_DAY_NOTIFY withdrawals today. */
  | 'withdrawal_burst'
  /** To the other side (coordinators or admins): a role grant waits for a second person (12.1). */
  | 'role_grant_pending'
  /**
   * To coordinators and admins: a passkey was added to a coordinator's or admin's account
   * (12.4). Its first one is registered with the code alone: if the person did not, someone
   * who phished their code did.
   */
  | 'passkey_added';

/**
 * What a notification says: a type, and the case or the staff member it is about. Never
 * anything about the caller.
 */
export interface NotificationView {
  id: string;
  type: NotificationType;
  caseId: string | null;
  /** The staff member whose conduct it reports (a burst of lookups); else null. */
  aboutUserId: string | null;
  createdAt: Date;
  readAt: Date | null;
}

export interface NewNotification {
  userId: string;
  type: NotificationType;
  caseId?: string | null;
  aboutUserId?: string | null;
  /** Writing the same key twice (a retried job) creates one notification. */
  dedupeKey: string;
}

/**
 * The INSERT of new notifications whose eight parameters (NotificationsService.paramsOf) are
 * $first to $first+7, returning the id and person of each one it created (one already there,
 * by its dedupe key, adds nothing): alone, or in the one statement that writes the change
 * they tell of (paging's).
 */
export function notificationsInsert(first: number): string {
  const p = (n: number) => `$${first + n}`;
  return `INSERT INTO notifications (id, user_id, type, case_id, about_user_id, dedupe_key, created_at, created_enc)
     SELECT * FROM unnest(${p(0)}::uuid[], ${p(1)}::uuid[], ${p(2)}::text[], ${p(3)}::uuid[], ${p(4)}::uuid[], ${p(5)}::text[],
                          ${p(6)}::timestamptz[], ${p(7)}::bytea[])
     ON CONFLICT DO NOTHING
     RETURNING id, user_id`;
}

/**
 * Every notification of a call in one statement, its text the same whatever their number
 * (arrays), so that PostgreSQL parses and plans it once per connection: routing writes one
 * per batch of cases.
 */
const CREATE_NOTIFICATIONS = preparedStatement(
  'notifications.create',
  `WITH created AS (${notificationsInsert(1)})
   SELECT c.id, c.user_id,
          EXISTS (SELECT 1 FROM staff_webhooks w WHERE w.user_id = c.user_id) AS has_webhook
     FROM created c`,
);

@Injectable()
export class NotificationsService {
  constructor(
    private readonly db: DataSource,
    private readonly times: ExactTimes,
  ) {}

  /**
   * Inside the caller's transaction; returns the notifications actually created. Every
   * notification is written by notificationsInsert's text, here or inside paging's own
   * statement (a second text would be a second place to get wrong). One that is already there
   * (its dedupe key, or a case's assignment told once) adds nothing.
   */
  async create(
    em: EntityManager,
    notifications: readonly NewNotification[],
  ): Promise<Array<{ id: string; userId: string; hasWebhook: boolean }>> {
    if (notifications.length === 0) return [];
    // Whether each new notification's person has a webhook comes back with it: a caller
    // that sends webhooks needs it next.
    const rows = rowsOf<{ id: string; user_id: string; has_webhook: boolean }>(
      await runPrepared(em, CREATE_NOTIFICATIONS, this.paramsOf(notifications).params),
    );
    return rows.map((r) => ({ id: r.id, userId: r.user_id, hasWebhook: r.has_webhook }));
  }

  /**
   * New notifications as notificationsInsert takes them, with the ids they will have (in
   * their order): for a statement that writes them with the change they tell of.
   */
  paramsOf(notifications: readonly NewNotification[]): { ids: string[]; params: unknown[] } {
    const now = this.times.now();
    const ids = notifications.map(() => randomUUID());
    // Open work: the day in the clear, the exact moment sealed (ExactTimes).
    const created = ids.map((id) =>
      this.times.seal({ table: 'notifications', id, column: 'created_at' }, now),
    );
    return {
      ids,
      params: [
        ids,
        notifications.map((n) => n.userId),
        notifications.map((n) => n.type),
        notifications.map((n) => n.caseId ?? null),
        notifications.map((n) => n.aboutUserId ?? null),
        notifications.map((n) => n.dedupeKey),
        created.map((c) => c.week),
        created.map((c) => c.sealed),
      ],
    };
  }

  /**
   * Tells every coordinator (enabled accounts with the role) about a staff member's conduct,
   * once per `occasion` (a retried request tells nobody twice).
   */
  async aboutStaffToCoordinators(
    em: EntityManager,
    type: Extract<
      NotificationType,
      'lookup_burst' | 'decline_burst' | 'withdrawal_burst' | 'withdrawal_pending'
    >,
    aboutUserId: string,
    occasion: string,
  ): Promise<void> {
    await this.aboutStaffTo(em, 'coordinator', type, aboutUserId, occasion);
  }

  /**
   * The same for every enabled holder of `role` (a role grant's other side), leaving out
   * `except` (the proposer, who may hold both roles).
   */
  async aboutStaffTo(
    em: EntityManager,
    role: 'coordinator' | 'admin',
    type: Extract<NotificationType, StaffNotice>,
    aboutUserId: string,
    occasion: string,
    except?: string,
  ): Promise<void> {
    const holders = (await activeHolderIds(em, role)).filter((id) => id !== except);
    await this.create(
      em,
      holders.map((id) => ({
        userId: id,
        type,
        aboutUserId,
        dedupeKey: `${type}-${aboutUserId}-${occasion}-${id}`,
      })),
    );
  }

  /**
   * A user's own notifications, newest first. Nobody reads anyone else's. The table keeps
   * only the day in the clear: every notification of the days that reach the limit is
   * fetched, ordered by its exact time here, and cut to the limit.
   */
  async list(actor: Actor, limit = 100): Promise<NotificationView[]> {
    const rows: NotificationRow[] = await this.db.query(
      `SELECT ${VIEW_COLUMNS} FROM notifications
        WHERE user_id = $1
          AND created_at >= coalesce(
                (SELECT created_at FROM notifications WHERE user_id = $1
                  ORDER BY created_at DESC OFFSET $2 - 1 LIMIT 1), '-infinity')`,
      [actor.userId, limit],
    );
    return rows
      .map((r) => this.view(r))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, limit);
  }

  async get(userId: string, id: string): Promise<NotificationView | undefined> {
    const rows: NotificationRow[] = await this.db.query(
      `SELECT ${VIEW_COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0] ? this.view(rows[0]) : undefined;
  }

  async markRead(actor: Actor, id: string): Promise<NotificationView> {
    const read = this.times.seal({ table: 'notifications', id, column: 'read_at' });
    await this.db.query(
      `UPDATE notifications SET read_at = $3, read_enc = $4
        WHERE id = $1 AND user_id = $2 AND read_at IS NULL`,
      [id, actor.userId, read.week, read.sealed],
    );
    const found = await this.get(actor.userId, id);
    if (!found) throw new AccessException(AccessError.NotFound);
    return found;
  }

  /** The exact time a notification was created, for its webhook. */
  createdAt(id: string, day: Date, sealed: Buffer | null): Date {
    return this.times.open({ table: 'notifications', id, column: 'created_at' }, sealed, day);
  }

  private view(r: NotificationRow): NotificationView {
    return {
      id: r.id,
      type: r.type,
      caseId: r.case_id,
      aboutUserId: r.about_user_id,
      createdAt: this.createdAt(r.id, r.created_at, r.created_enc),
      readAt: this.times.open(
        { table: 'notifications', id: r.id, column: 'read_at' },
        r.read_enc,
        r.read_at,
      ),
    };
  }
}

/** Notifications about a staff member's conduct or account, never about a caller. */
type StaffNotice =
  | 'lookup_burst'
  | 'decline_burst'
  | 'withdrawal_burst'
  | 'withdrawal_pending'
  | 'role_grant_pending'
  | 'passkey_added';

/** What a notification's view is read from. */
const VIEW_COLUMNS = 'id, type, case_id, about_user_id, created_at, created_enc, read_at, read_enc';

interface NotificationRow {
  id: string;
  type: NotificationType;
  case_id: string | null;
  about_user_id: string | null;
  created_at: Date;
  created_enc: Buffer | null;
  read_at: Date | null;
  read_enc: Buffer | null;
}
