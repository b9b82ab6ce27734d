export * from './consent-withdrawal.service';
export * from './consent.module';
