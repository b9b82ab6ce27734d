import { Module } from '@nestjs/common';
import { AuditModule } from '@mayak/audit';
import { ContactsModule } from '@mayak/contacts';
import { StatisticsModule } from '@mayak/statistics';
import { RetentionService } from './retention.service';
import { RowRestamp } from './row-restamp.service';

@Module({
  imports: [AuditModule, ContactsModule, StatisticsModule],
  providers: [RetentionService, RowRestamp],
  exports: [RetentionService, RowRestamp],
})
export class RetentionModule {}
