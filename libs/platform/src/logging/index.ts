export * from './logger';
export * from './logger.token';
export * from './logging.module';
export * from './graceful-shutdown';
