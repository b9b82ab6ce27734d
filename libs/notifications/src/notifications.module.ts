import { Global, Module } from '@nestjs/common';
import { PASSKEY_NOTICE, PasskeyNotice } from '@mayak/identity';
import { AppConfig } from '@mayak/platform';
import { WebhookTargets } from './webhook-target';
import { NotificationsService } from './notifications.service';
import { WebhookUrlSealing } from './webhook-url-sealing';
import { WebhooksService } from './webhooks.service';

/** Global so that identity can tell of a new passkey without a module cycle. */
@Global()
@Module({
  providers: [
    NotificationsService,
    {
      provide: PASSKEY_NOTICE,
      inject: [NotificationsService],
      useFactory: (notifications: NotificationsService): PasskeyNotice => ({
        async added(em, userId, passkeyId) {
          for (const role of ['coordinator', 'admin'] as const)
            await notifications.aboutStaffTo(em, role, 'passkey_added', userId, passkeyId, userId);
        },
      }),
    },
    WebhooksService,
    WebhookUrlSealing,
    {
      provide: WebhookTargets,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new WebhookTargets(config.webhookAllowedHosts),
    },
  ],
  exports: [
    NotificationsService,
    WebhooksService,
    WebhookUrlSealing,
    WebhookTargets,
    PASSKEY_NOTICE,
  ],
})
export class NotificationsModule {}
