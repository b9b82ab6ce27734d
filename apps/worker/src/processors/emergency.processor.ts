import { Injectable } from '@nestjs/common';
import { PagingService, Tier } from '@mayak/emergency';
import { WebhooksService } from '@mayak/notifications';
import { JobHandlers, QueueProcessor } from '@mayak/platform';

@Injectable()
export class EmergencyProcessor extends QueueProcessor<'emergency'> {
  readonly queueName = 'emergency';
  readonly handlers: JobHandlers<'emergency'> = {
    'page-responders': async ({ caseId, tier, round }) => {
      await this.paging.page(caseId, tier as Tier, round);
    },
    'check-ack': async ({ caseId, tier, round }) => {
      await this.paging.checkAck(caseId, tier as Tier, round);
    },
    'deliver-webhook': async ({ notificationId }) => {
      await this.webhooks.deliver(notificationId);
    },
  };

  constructor(
    private readonly paging: PagingService,
    private readonly webhooks: WebhooksService,
  ) {
    super();
  }
}
