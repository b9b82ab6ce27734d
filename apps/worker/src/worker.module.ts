import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AuditChainModule, AuditModule } from '@mayak/audit';
import { AccessModule } from '@mayak/access';
import { CasesModule } from '@mayak/cases';
import { ConsentModule } from '@mayak/consent';
import { ContactsModule } from '@mayak/contacts';
import { CustodyModule } from '@mayak/custody';
import { EmergencyModule } from '@mayak/emergency';
import { IdentityModule } from '@mayak/identity';
import { LegalModule } from '@mayak/legal';
import { NotificationsModule } from '@mayak/notifications';
import { PsychModule } from '@mayak/psych';
import {
  AppConfig,
  ClockModule,
  ConfigModule,
  CryptoModule,
  DatabaseModule,
  Logger,
  LoggingModule,
  OutboxModule,
  OutboxRelayModule,
  UrgentWorkModule,
  WorkerLeadershipModule,
  WorkerQueuesModule,
} from '@mayak/platform';
import { RetentionModule } from '@mayak/retention';
import { StatisticsModule } from '@mayak/statistics';
import { ProcessorCheck } from './processor-check';
import { EmergencyProcessor } from './processors/emergency.processor';
import { LegalProcessor } from './processors/legal.processor';
import { MaintenanceProcessor } from './processors/maintenance.processor';
import { PsychProcessor } from './processors/psych.processor';
import { RoutingProcessor } from './processors/routing.processor';
import { CasesWorker, MaintenanceWorker } from './workers';

/**
 * The worker: relays the outbox into BullMQ, and runs one BullMQ worker per physical queue,
 * which hands each job to the processor of its logical queue. No HTTP.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot({ deferredCommits: true }),
        CryptoModule,
        ClockModule,
        OutboxModule,
        WorkerLeadershipModule,
        OutboxRelayModule,
        WorkerQueuesModule.forRoot(),
        UrgentWorkModule,
        DiscoveryModule,
        AuditModule,
        AuditChainModule,
        IdentityModule,
        RetentionModule,
        AccessModule,
        CasesModule,
        ContactsModule,
        ConsentModule,
        LegalModule,
        PsychModule,
        NotificationsModule,
        EmergencyModule,
        StatisticsModule,
        CustodyModule,
      ],
      providers: [
        ProcessorCheck,
        MaintenanceProcessor,
        RoutingProcessor,
        LegalProcessor,
        PsychProcessor,
        EmergencyProcessor,
        CasesWorker,
        MaintenanceWorker,
      ],
    };
  }
}
