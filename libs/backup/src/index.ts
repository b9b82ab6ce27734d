export * from './age';
export * from './backup-format';
export * from './backup-restorer';
export * from './backup-writer';
export * from './backup.exception';
export * from './database-catalog';
