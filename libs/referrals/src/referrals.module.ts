import { Module } from '@nestjs/common';
import { ReferralDirectory } from './referral-directory.service';
import { ReferralRecords } from './referral-records';

@Module({
  providers: [ReferralDirectory, ReferralRecords],
  exports: [ReferralDirectory, ReferralRecords],
})
export class ReferralsModule {}
