import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@mayak/platform';
import { WebhookTargets } from './webhook-target';
import { NotificationsService } from './notifications.service';
import { WebhookUrlSealing } from './webhook-url-sealing';
import { WebhooksService } from './webhooks.service';

@Global()
@Module({
  providers: [
    NotificationsService,
    WebhooksService,
    WebhookUrlSealing,
    {
      provide: WebhookTargets,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new WebhookTargets(config.webhookAllowedHosts),
    },
  ],
  exports: [NotificationsService, WebhooksService, WebhookUrlSealing, WebhookTargets],
})
export class NotificationsModule {}
