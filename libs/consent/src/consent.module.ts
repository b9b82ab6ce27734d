import { Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { StaffingModule } from '@mayak/staffing';
import { ConsentWithdrawalService } from './consent-withdrawal.service';
import { PendingWithdrawals } from './pending-withdrawals.service';
import { WithdrawalEffects } from './withdrawal-effects';

@Module({
  imports: [ContactsModule, StaffingModule],
  providers: [ConsentWithdrawalService, PendingWithdrawals, WithdrawalEffects],
  exports: [ConsentWithdrawalService, PendingWithdrawals],
})
export class ConsentModule {}
