import { Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { StaffingModule } from '@mayak/staffing';
import { ConsentWithdrawalService } from './consent-withdrawal.service';

@Module({
  imports: [ContactsModule, StaffingModule],
  providers: [ConsentWithdrawalService],
  exports: [ConsentWithdrawalService],
})
export class ConsentModule {}
