import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Actor, SessionService } from '@mayak/identity';
import { AppConfig, KeyRing, PgListener } from '@mayak/platform';
import { Observable, Subscriber } from 'rxjs';
import { NotificationsService, NotificationView } from './notifications.service';

/**
 * Live notifications for open browsers. The worker writes a notification row; a trigger
 * NOTIFYs `<user id>:<notification id>` when it commits; this listener fetches the row and
 * hands it to that user's open server-sent-event streams. Nothing goes through Redis.
 *
 * A stream lives no longer than the session that opened it: a sign-out, a disabling, a role
 * change (heard from any API process through SessionService) or a lockdown ends it at once.
 */
@Injectable()
export class NotificationStream implements OnModuleInit, OnModuleDestroy {
  /** Open streams by user id, each with the session that opened it. */
  private readonly subscribers = new Map<
    string,
    Set<{ subscriber: Subscriber<NotificationView>; sessionId?: string }>
  >();
  private listener?: PgListener;

  constructor(
    private readonly notifications: NotificationsService,
    private readonly config: AppConfig,
    ring: KeyRing,
    sessions: SessionService,
  ) {
    // A lockdown ends every session; the streams those sessions opened end with them.
    ring.onSeal(() => this.endAll());
    sessions.onEnded((what) => this.sessionEnded(what));
  }

  async onModuleInit(): Promise<void> {
    // What is NOTIFYed while the listener is away is lost: when it goes, and again when it is
    // back, every stream ends, and the browser reopens it and reloads its list (as after any
    // break), so a page written in the gap (PostgreSQL restarting) still shows.
    this.listener = new PgListener(
      this.config.DATABASE_URL ?? '',
      'mayak_notifications',
      (payload) => void this.deliver(payload),
      () => this.endAll(),
      () => this.endAll(),
    );
    await this.listener.start();
  }

  /** Ends every open stream first, so that the HTTP server can close without waiting on them. */
  async onModuleDestroy(): Promise<void> {
    this.endAll();
    await this.listener?.stop();
  }

  private endAll(): void {
    for (const set of this.subscribers.values())
      for (const { subscriber } of set) subscriber.complete();
    this.subscribers.clear();
  }

  /** `session:<id>`, `user:<id>` or `all:`, as SessionService tells it. */
  private sessionEnded(what: string): void {
    const [kind, id] = what.split(':');
    if (kind === 'all') return this.endAll();
    const sets =
      kind === 'user'
        ? [this.subscribers.get(id)]
        : kind === 'session'
          ? this.subscribers.values()
          : [];
    for (const set of sets)
      for (const open of [...(set ?? [])])
        if (kind === 'user' || open.sessionId === id) open.subscriber.complete();
  }

  streamFor(actor: Actor): Observable<NotificationView> {
    const { userId, sessionId } = actor;
    return new Observable<NotificationView>((subscriber) => {
      const set = this.subscribers.get(userId) ?? new Set();
      const open = { subscriber, sessionId };
      set.add(open);
      this.subscribers.set(userId, set);
      return () => {
        set.delete(open);
        if (set.size === 0) this.subscribers.delete(userId);
      };
    });
  }

  private async deliver(payload: string): Promise<void> {
    const [userId, id] = payload.split(':');
    const set = userId ? this.subscribers.get(userId) : undefined;
    if (!set || !id) return;
    const notification = await this.notifications.get(userId, id).catch(() => undefined);
    if (notification) for (const { subscriber } of set) subscriber.next(notification);
  }
}
