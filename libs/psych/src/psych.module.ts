import { Module } from '@nestjs/common';
import { CaseServiceDefinition, CaseServiceRegistry } from '@mayak/cases';
import { job } from '@mayak/platform';

/** Psychological support: cases for psychologists, under the caller's `service:psych` consent. */
export const PSYCH_SERVICE: CaseServiceDefinition = {
  service: 'psych',
  priority: 2,
  responseHours: 48,
  onOpen: (caseId) => job('routing', 'route-case', { caseId }),
  notifiesAssignee: true,
};

@Module({})
export class PsychModule {
  constructor(registry: CaseServiceRegistry) {
    registry.register(PSYCH_SERVICE);
  }
}
