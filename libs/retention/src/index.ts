export * from './retention.module';
export * from './retention.service';
export * from './row-restamp.service';
