import { Service } from '@mayak/access';
import { OutboxJob } from '@mayak/platform';

/**
 * What differs between services on the shared case lifecycle. Each service's own module
 * (libs/legal, libs/psych, libs/emergency) registers its definition.
 */
export interface CaseServiceDefinition {
  readonly service: Service;
  /** 0 is the highest; pools are ordered by priority, then age. */
  readonly priority: number;
  /** How soon a new case should be taken up. */
  readonly responseHours: number;
  /** The job that sets a new case on its way: routing to someone, or paging the rota. */
  onOpen(caseId: string): OutboxJob;
  /**
   * Whether someone given a case is told so in the app (a `case_assigned` notification),
   * written in the assignment's own transaction.
   */
  readonly notifiesAssignee?: boolean;
}

export class CaseServiceRegistry {
  private readonly definitions = new Map<Service, CaseServiceDefinition>();

  register(definition: CaseServiceDefinition): void {
    this.definitions.set(definition.service, definition);
  }

  get(service: Service): CaseServiceDefinition {
    const definition = this.definitions.get(service);
    if (!definition) throw new Error(`no case service module registered for ${service}`);
    return definition;
  }

  has(service: Service): boolean {
    return this.definitions.has(service);
  }
}
