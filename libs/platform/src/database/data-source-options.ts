import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';

/** Where TypeORM records the applied migrations: a backup carries it as the schema version. */
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface DatabaseConnectionOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
  entities?: DataSourceOptions['entities'];
  /** `synchronous_commit = off` for every session: see DatabaseModuleOptions. */
  deferredCommits?: boolean;
}

/**
 * The one place connection options are built, for the apps, the CLI, the TypeORM CLI's data
 * source and the tests. The schema is owned by migrations: never `synchronize`. Queries are
 * never logged, because their parameters can hold personal data.
 */
export function dataSourceOptions(options: DatabaseConnectionOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: options.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName ?? 'mayak',
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // A statement that runs away must not hold a connection (or a lock) for ever.
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
      ...(options.deferredCommits ? { options: '-c synchronous_commit=off' } : {}),
    },
  };
}
