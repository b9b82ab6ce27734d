import { Global, Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { StaffingModule } from '@mayak/staffing';
import { AssigneeNotifier } from './assignee-notifier.service';
import { CallerCasesService } from './caller-cases.service';
import { CaseLoader } from './case-facts';
import { CaseFollowUps } from './case-follow-ups.service';
import { CaseHandovers } from './case-handovers.service';
import { CaseLifecycleService } from './case-lifecycle.service';
import { CaseNotesService } from './case-notes.service';
import { CaseOpening } from './case-opening.service';
import { CaseQueriesService } from './case-queries.service';
import { CaseSearchService } from './case-search.service';
import { CaseServiceRegistry } from './case-services';
import { CaseTimeSealer } from './case-time-sealer.service';
import { CaseTransaction } from './case-transaction';
import { OpenWorkSealing } from './open-work-sealing';
import { OverdueWorkService } from './overdue-work.service';
import { RoutingService } from './routing.service';

/** The shared case lifecycle. Each service (legal, psych, emergency) plugs in with its own module. */
@Global()
@Module({
  imports: [ContactsModule, StaffingModule],
  providers: [
    CaseLoader,
    CaseServiceRegistry,
    CaseTransaction,
    CaseOpening,
    CaseLifecycleService,
    CaseNotesService,
    CaseQueriesService,
    CaseSearchService,
    CallerCasesService,
    RoutingService,
    AssigneeNotifier,
    CaseTimeSealer,
    OpenWorkSealing,
    CaseFollowUps,
    CaseHandovers,
    OverdueWorkService,
  ],
  exports: [
    CaseLoader,
    CaseTransaction,
    CaseServiceRegistry,
    CaseOpening,
    CaseLifecycleService,
    CaseNotesService,
    CaseQueriesService,
    CaseSearchService,
    CallerCasesService,
    RoutingService,
    AssigneeNotifier,
    CaseTimeSealer,
    OpenWorkSealing,
    CaseFollowUps,
    CaseHandovers,
    OverdueWorkService,
  ],
})
export class CasesModule {}
