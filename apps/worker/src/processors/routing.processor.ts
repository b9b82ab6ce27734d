import { Injectable } from '@nestjs/common';
import { ROUTING_MAX_BATCH, RoutingService } from '@mayak/cases';
import { JOB_SETTLED, JobHandlers, QueueProcessor } from '@mayak/platform';

/**
 * Routing jobs share transactions (RoutingService batches them, one transaction at a time), so
 * twice a batch of them run at once: while one batch commits, the jobs of the next have
 * gathered, instead of starting only once it has committed. A job waiting for its batch holds
 * no connection and no colleague's row.
 */
@Injectable()
export class RoutingProcessor extends QueueProcessor<'routing'> {
  readonly queueName = 'routing';
  override readonly concurrency = 2 * ROUTING_MAX_BATCH;
  readonly handlers: JobHandlers<'routing'> = {
    // The routing transaction deletes the job's outbox row too: no done-mark after it.
    'route-case': async ({ caseId }, { jobId }) => {
      await this.routing.route(caseId, jobId || undefined);
      return jobId ? JOB_SETTLED : undefined;
    },
  };

  constructor(private readonly routing: RoutingService) {
    super();
  }
}
