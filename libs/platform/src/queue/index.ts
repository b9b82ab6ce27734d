export * from './coalesced-writes';
export * from './job-options';
export * from './queue-processor';
export * from './queue.contract';
export * from './queue.module';
export * from './redis-connection';
export * from './standby';
export * from './stats-days';
