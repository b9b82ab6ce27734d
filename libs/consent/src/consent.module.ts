import { Module } from '@nestjs/common';
import { StaffingModule } from '@mayak/staffing';
import { ConsentWithdrawalService } from './consent-withdrawal.service';

@Module({
  imports: [StaffingModule],
  providers: [ConsentWithdrawalService],
  exports: [ConsentWithdrawalService],
})
export class ConsentModule {}
