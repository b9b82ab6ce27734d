import { Injectable } from '@nestjs/common';
import { PagingService, Tier } from '@mayak/emergency';
import { WebhooksService } from '@mayak/notifications';
import { AppConfig, JOB_SETTLED, JobHandlers, QueueProcessor } from '@mayak/platform';

/** Emergency jobs at once, per WORKER_CONCURRENCY: enough for a surge's timers to share batches. */
const EMERGENCY_LANE_FACTOR = 8;

/**
 * Pages, SLA timers and webhooks. Pages and timers share transactions (PagingService batches
 * them, two page transactions and four breach transactions at once), so their jobs can run
 * many at a time: in a surge every timer that falls due joins the next batch at once instead
 * of waiting for a place.
 */
@Injectable()
export class EmergencyProcessor extends QueueProcessor<'emergency'> {
  readonly queueName = 'emergency';
  override readonly concurrency: number;
  readonly handlers: JobHandlers<'emergency'> = {
    'page-responders': async ({ caseId, tier, round }) => {
      await this.paging.page(caseId, tier as Tier, round);
    },
    // The breach's transaction deletes the timer's outbox row too: no done-mark after it.
    'check-ack': async ({ caseId, tier, round }, { jobId }) => {
      await this.paging.checkAck(caseId, tier as Tier, round, jobId);
      return JOB_SETTLED;
    },
    'deliver-webhook': async ({ notificationId }) => {
      await this.webhooks.deliver(notificationId);
    },
  };

  constructor(
    private readonly paging: PagingService,
    private readonly webhooks: WebhooksService,
    config: AppConfig,
  ) {
    super();
    this.concurrency = config.WORKER_CONCURRENCY * EMERGENCY_LANE_FACTOR;
  }
}
