import { Global, Module } from '@nestjs/common';
import { NotificationsService } from './notifications.service';
import { WebhooksService } from './webhooks.service';

@Global()
@Module({
  providers: [NotificationsService, WebhooksService],
  exports: [NotificationsService, WebhooksService],
})
export class NotificationsModule {}
