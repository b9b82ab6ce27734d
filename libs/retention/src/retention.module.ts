import { Module } from '@nestjs/common';
import { AuditModule } from '@mayak/audit';
import { StatisticsModule } from '@mayak/statistics';
import { RetentionService } from './retention.service';

@Module({
  imports: [AuditModule, StatisticsModule],
  providers: [RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
