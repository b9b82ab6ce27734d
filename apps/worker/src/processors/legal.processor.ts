import { Processor } from '@nestjs/bullmq';
import { AssigneeNotifier } from '@mayak/cases';
import { JobHandlers, QueueProcessor, WORKER_OPTIONS } from '@mayak/platform';

@Processor('legal', WORKER_OPTIONS)
export class LegalProcessor extends QueueProcessor<'legal'> {
  readonly queueName = 'legal';
  readonly handlers: JobHandlers<'legal'> = {
    'notify-assignee': ({ caseId, assigneeId }) => this.notifier.notify(caseId, assigneeId),
  };

  constructor(private readonly notifier: AssigneeNotifier) {
    super();
  }
}
