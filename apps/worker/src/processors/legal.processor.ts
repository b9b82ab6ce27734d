import { Injectable } from '@nestjs/common';
import { AssigneeNotifier } from '@mayak/cases';
import { JobHandlers, QueueProcessor } from '@mayak/platform';

@Injectable()
export class LegalProcessor extends QueueProcessor<'legal'> {
  readonly queueName = 'legal';
  readonly handlers: JobHandlers<'legal'> = {
    'notify-assignee': ({ caseId, assigneeId }) => this.notifier.notify(caseId, assigneeId),
  };

  constructor(private readonly notifier: AssigneeNotifier) {
    super();
  }
}
