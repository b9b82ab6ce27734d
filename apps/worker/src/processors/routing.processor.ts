import { Injectable } from '@nestjs/common';
import { ROUTING_MAX_BATCH, RoutingService } from '@mayak/cases';
import { JobHandlers, QueueProcessor } from '@mayak/platform';

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
    'route-case': async ({ caseId }) => {
      await this.routing.route(caseId);
    },
  };

  constructor(private readonly routing: RoutingService) {
    super();
  }
}
