export * from './referral-directory.service';
export * from './referral-kinds';
export * from './referral-records';
export * from './referral.exception';
export * from './referrals.module';
