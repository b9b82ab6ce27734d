import { Module } from '@nestjs/common';
import { AuditModule } from '@mayak/audit';
import { ContactsModule } from '@mayak/contacts';
import { StatisticsModule } from '@mayak/statistics';
import { RetentionService } from './retention.service';

@Module({
  imports: [AuditModule, ContactsModule, StatisticsModule],
  providers: [RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
