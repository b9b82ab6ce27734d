import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AccessModule } from '@mayak/access';
import { AccountsModule } from '@mayak/accounts';
import { AuditModule } from '@mayak/audit';
import { CasesModule } from '@mayak/cases';
import { ConsentModule } from '@mayak/consent';
import { EmergencyModule } from '@mayak/emergency';
import { ContactsModule } from '@mayak/contacts';
import { CustodyModule } from '@mayak/custody';
import { IdentityModule, SessionRevocationListener } from '@mayak/identity';
import { IntakeModule } from '@mayak/intake';
import { LegalModule } from '@mayak/legal';
import { NotificationStream, NotificationsModule } from '@mayak/notifications';
import { PsychModule } from '@mayak/psych';
import { ReferralsModule } from '@mayak/referrals';
import { StaffingModule } from '@mayak/staffing';
import { StatisticsModule } from '@mayak/statistics';
import {
  AppConfig,
  ClockModule,
  ConfigModule,
  CryptoModule,
  DatabaseModule,
  Logger,
  LoggingModule,
  OutboxModule,
} from '@mayak/platform';
import { AccountsController } from './admin/accounts.controller';
import { RoleGrantsController } from './admin/role-grants.controller';
import { AuthController } from './auth/auth.controller';
import { CallersController } from './callers/callers.controller';
import { CasesController } from './cases/cases.controller';
import { FollowUpsController } from './cases/follow-ups.controller';
import { ContactsController } from './contacts/contacts.controller';
import { CustodyController } from './custody/custody.controller';
import { EmergencyController } from './emergency/emergency.controller';
import { NotificationsController } from './notifications/notifications.controller';
import { ReferralsController } from './referrals/referrals.controller';
import { RotaController } from './rota/rota.controller';
import { StaffController } from './staff/staff.controller';
import { StatisticsController } from './statistics/statistics.controller';
import { VocabularyController } from './vocabulary/vocabulary.controller';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { CsrfGuard } from './http/csrf';
import { SessionGuard } from './http/session.guard';

/** The HTTP application: controllers over the domain modules. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(),
        CryptoModule,
        ClockModule,
        OutboxModule,
        AuditModule,
        AccessModule,
        IdentityModule,
        AccountsModule,
        ContactsModule,
        StaffingModule,
        CasesModule,
        LegalModule,
        PsychModule,
        ReferralsModule,
        IntakeModule,
        ConsentModule,
        NotificationsModule,
        EmergencyModule,
        StatisticsModule,
        CustodyModule,
        ThrottlerModule.forRoot([
          { name: 'sign-in', ttl: 60_000, limit: config.LOGIN_RATE_PER_MINUTE },
        ]),
      ],
      controllers: [
        AuthController,
        AccountsController,
        RoleGrantsController,
        HealthController,
        VocabularyController,
        ContactsController,
        CallersController,
        CasesController,
        FollowUpsController,
        StaffController,
        EmergencyController,
        RotaController,
        NotificationsController,
        StatisticsController,
        CustodyController,
        ReferralsController,
      ],
      providers: [
        HealthService,
        NotificationStream,
        SessionRevocationListener,
        // In this order: a dead session is a 401 before any CSRF check.
        { provide: APP_GUARD, useClass: SessionGuard },
        { provide: APP_GUARD, useClass: CsrfGuard },
      ],
    };
  }
}
