import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig, KeyRing, PgListener } from '@mayak/platform';
import { Observable, Subscriber } from 'rxjs';
import { NotificationsService, NotificationView } from './notifications.service';

/**
 * Live notifications for open browsers. The worker writes a notification row; a trigger
 * NOTIFYs `<user id>:<notification id>` when it commits; this listener fetches the row and
 * hands it to that user's open server-sent-event streams. Nothing goes through Redis.
 */
@Injectable()
export class NotificationStream implements OnModuleInit, OnModuleDestroy {
  private readonly subscribers = new Map<string, Set<Subscriber<NotificationView>>>();
  private listener?: PgListener;

  constructor(
    private readonly notifications: NotificationsService,
    private readonly config: AppConfig,
    ring: KeyRing,
  ) {
    // A lockdown ends every session; the streams those sessions opened end with them.
    ring.onSeal(() => this.endAll());
  }

  async onModuleInit(): Promise<void> {
    this.listener = new PgListener(
      this.config.DATABASE_URL ?? '',
      'mayak_notifications',
      (payload) => void this.deliver(payload),
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
      for (const subscriber of set) subscriber.complete();
    this.subscribers.clear();
  }

  streamFor(userId: string): Observable<NotificationView> {
    return new Observable<NotificationView>((subscriber) => {
      const set = this.subscribers.get(userId) ?? new Set();
      set.add(subscriber);
      this.subscribers.set(userId, set);
      return () => {
        set.delete(subscriber);
        if (set.size === 0) this.subscribers.delete(userId);
      };
    });
  }

  private async deliver(payload: string): Promise<void> {
    const [userId, id] = payload.split(':');
    const set = userId ? this.subscribers.get(userId) : undefined;
    if (!set || !id) return;
    const notification = await this.notifications.get(userId, id).catch(() => undefined);
    if (notification) for (const subscriber of set) subscriber.next(notification);
  }
}
