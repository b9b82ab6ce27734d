import { Module } from '@nestjs/common';
import { CaseServiceDefinition, CaseServiceRegistry } from '@mayak/cases';
import { StaffingModule } from '@mayak/staffing';
import { EmergencyActionsService } from './emergency-actions.service';
import { pageJob, PagingService } from './paging.service';
import { RotaService } from './rota.service';

/**
 * Emergencies: danger to life or liberty. Not routed to one person but paged to the tier-1
 * responders on call the moment the case exists, climbing the rota on an SLA clock until
 * someone acknowledges. Under the caller's `service:emergency` consent; beyond it, only by
 * break-glass.
 */
export const EMERGENCY_SERVICE: CaseServiceDefinition = {
  service: 'emergency',
  priority: 0,
  responseHours: 5 / 60,
  onOpen: (caseId) => pageJob(caseId, 1, 1),
};

@Module({
  imports: [StaffingModule],
  providers: [RotaService, PagingService, EmergencyActionsService],
  exports: [RotaService, PagingService, EmergencyActionsService],
})
export class EmergencyModule {
  constructor(registry: CaseServiceRegistry) {
    registry.register(EMERGENCY_SERVICE);
  }
}
