export * from './embedded-postgres';
export * from './embedded-redis';
export * from './local-stack';
export { EmbeddedServiceError, findOnPath, freePort, isProcessAlive, waitFor } from './processes';
