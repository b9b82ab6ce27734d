export * from './consent-withdrawal.service';
export * from './consent.module';
export * from './pending-withdrawals.service';
