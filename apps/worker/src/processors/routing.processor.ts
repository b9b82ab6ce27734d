import { Injectable } from '@nestjs/common';
import { RoutingService } from '@mayak/cases';
import { JobHandlers, QueueProcessor } from '@mayak/platform';

@Injectable()
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
