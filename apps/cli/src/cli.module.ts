import { DynamicModule, Module } from '@nestjs/common';
import { AccessModule } from '@mayak/access';
import { AccountsModule } from '@mayak/accounts';
import { AuditModule } from '@mayak/audit';
import { CustodyModule } from '@mayak/custody';
import { IdentityModule } from '@mayak/identity';
import { RetentionModule } from '@mayak/retention';
import { StatisticsModule } from '@mayak/statistics';
import {
  AppConfig,
  ConfigModule,
  ClockModule,
  CryptoModule,
  DatabaseModule,
  Logger,
  LoggingModule,
  OutboxModule,
} from '@mayak/platform';

/** The domain services the operator commands use, without HTTP or queues. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(),
        ClockModule,
        CryptoModule,
        OutboxModule,
        AuditModule,
        AccessModule,
        IdentityModule,
        AccountsModule,
        StatisticsModule,
        RetentionModule,
        CustodyModule,
      ],
    };
  }
}
