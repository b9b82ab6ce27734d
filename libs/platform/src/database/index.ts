export * from './app-role';
export * from './data-source-options';
export * from './database.module';
export * from './migrate';
export * from './migrations';
export * from './pg-errors';
export * from './pg-listener';
export * from './group-commit';
