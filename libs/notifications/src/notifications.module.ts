import { Global, Module } from '@nestjs/common';
import { NotificationsService } from './notifications.service';
import { WebhookUrlSealing } from './webhook-url-sealing';
import { WebhooksService } from './webhooks.service';

@Global()
@Module({
  providers: [NotificationsService, WebhooksService, WebhookUrlSealing],
  exports: [NotificationsService, WebhooksService, WebhookUrlSealing],
})
export class NotificationsModule {}
