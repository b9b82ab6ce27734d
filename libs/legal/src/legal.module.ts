import { Module } from '@nestjs/common';
import { CaseServiceDefinition, CaseServiceRegistry } from '@mayak/cases';
import { job } from '@mayak/platform';

/** Legal help: cases for lawyers, under the caller's `service:legal` consent. */
export const LEGAL_SERVICE: CaseServiceDefinition = {
  service: 'legal',
  priority: 2,
  responseHours: 72,
  onOpen: (caseId) => job('routing', 'route-case', { caseId }),
  notifiesAssignee: true,
};

@Module({})
export class LegalModule {
  constructor(registry: CaseServiceRegistry) {
    registry.register(LEGAL_SERVICE);
  }
}
