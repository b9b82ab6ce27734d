export * from './config';
export * from './crypto';
export * from './database';
export * from './errors';
export * from './logging';
export * from './outbox';
export * from './queue';
export * from './clock';
