export * from './outbox-seal';
export * from './outbox.ledger';
export * from './outbox.module';
export * from './outbox.relay';
export * from './outbox.writer';
