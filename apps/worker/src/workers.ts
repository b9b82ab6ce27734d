import { Processor } from '@nestjs/bullmq';
import { ProcessorsOn, SealedJobWorker, WORKER_OPTIONS } from '@mayak/platform';
import { EmergencyProcessor } from './processors/emergency.processor';
import { LegalProcessor } from './processors/legal.processor';
import { MaintenanceProcessor } from './processors/maintenance.processor';
import { PsychProcessor } from './processors/psych.processor';
import { RoutingProcessor } from './processors/routing.processor';

/**
 * The shared queue of case work: routing, the lawyers' and psychologists' notices and the
 * emergency pages travel on it sealed and under one name, and this worker opens each and hands
 * it to its logical queue's processor. Emergency jobs go first (JOB_PRIORITY).
 */
@Processor('cases', WORKER_OPTIONS)
export class CasesWorker extends SealedJobWorker<'cases'> {
  readonly physicalQueue = 'cases';
  readonly processors: ProcessorsOn<'cases'>;
  /**
   * Routing batches the cases of the jobs one worker holds at once, so the workers' leader
   * takes them all while it keeps up, the others joining only when it falls behind (Standby).
   */
  protected override readonly leaderFirst = true;

  constructor(
    routing: RoutingProcessor,
    legal: LegalProcessor,
    psych: PsychProcessor,
    emergency: EmergencyProcessor,
  ) {
    super();
    this.processors = { routing, legal, psych, emergency };
  }
}

/** Maintenance: sealed jobs from the outbox, and the plain jobs of its schedules. */
@Processor('maintenance', WORKER_OPTIONS)
export class MaintenanceWorker extends SealedJobWorker<'maintenance'> {
  readonly physicalQueue = 'maintenance';
  readonly processors: ProcessorsOn<'maintenance'>;
  protected override readonly plainQueue = 'maintenance';

  constructor(maintenance: MaintenanceProcessor) {
    super();
    this.processors = { maintenance };
  }
}
