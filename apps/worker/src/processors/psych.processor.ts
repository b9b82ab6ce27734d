import { Processor } from '@nestjs/bullmq';
import { AssigneeNotifier } from '@mayak/cases';
import { JobHandlers, QueueProcessor, WORKER_OPTIONS } from '@mayak/platform';

@Processor('psych', WORKER_OPTIONS)
export class PsychProcessor extends QueueProcessor<'psych'> {
  readonly queueName = 'psych';
  readonly handlers: JobHandlers<'psych'> = {
    'notify-assignee': ({ caseId, assigneeId }) => this.notifier.notify(caseId, assigneeId),
  };

  constructor(private readonly notifier: AssigneeNotifier) {
    super();
  }
}
