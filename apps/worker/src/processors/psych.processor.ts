import { Injectable } from '@nestjs/common';
import { AssigneeNotifier, CaseFollowUps } from '@mayak/cases';
import { JobHandlers, QueueProcessor } from '@mayak/platform';

@Injectable()
export class PsychProcessor extends QueueProcessor<'psych'> {
  readonly queueName = 'psych';
  readonly handlers: JobHandlers<'psych'> = {
    'notify-assignee': ({ caseId, assigneeId }) => this.notifier.notify(caseId, assigneeId),
    'follow-up-due': ({ followUpId }) => this.followUps.due(followUpId),
  };

  constructor(
    private readonly notifier: AssigneeNotifier,
    private readonly followUps: CaseFollowUps,
  ) {
    super();
  }
}
