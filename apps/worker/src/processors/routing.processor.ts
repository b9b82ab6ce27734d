import { Processor } from '@nestjs/bullmq';
import { RoutingService } from '@mayak/cases';
import { JobHandlers, QueueProcessor, WORKER_OPTIONS } from '@mayak/platform';

@Processor('routing', WORKER_OPTIONS)
export class RoutingProcessor extends QueueProcessor<'routing'> {
  readonly queueName = 'routing';
  readonly handlers: JobHandlers<'routing'> = {
    'route-case': async ({ caseId }) => {
      await this.routing.route(caseId);
    },
  };

  constructor(private readonly routing: RoutingService) {
    super();
  }
}
