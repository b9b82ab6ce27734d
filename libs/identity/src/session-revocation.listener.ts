import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig, PgListener } from '@mayak/platform';
import { SESSION_REVOKED_CHANNEL, SessionService } from './session.service';

/**
 * Lets the API remember sessions safely: every sign-out, disabling and role change NOTIFYs
 * on commit, and this listener makes every API process forget the session at once, and close
 * the event streams it opened. While the listener is not connected the memory is off, so a
 * missed revocation cannot outlive it. It listens whether or not sessions are remembered:
 * the streams must close either way.
 */
@Injectable()
export class SessionRevocationListener implements OnModuleInit, OnModuleDestroy {
  private listener?: PgListener;

  constructor(
    private readonly sessions: SessionService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.listener = new PgListener(
      this.config.DATABASE_URL ?? '',
      SESSION_REVOKED_CHANNEL,
      (payload) => this.sessions.forget(payload),
      () => this.sessions.setRemembering(true),
      () => this.sessions.setRemembering(false),
    );
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.sessions.setRemembering(false);
    await this.listener?.stop();
  }
}
