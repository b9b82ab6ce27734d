import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config';
import { DatabaseRoleCheck } from './database-role-check';
import { dataSourceOptions } from './data-source-options';

export interface DatabaseModuleOptions {
  /**
   * Commit without waiting for the WAL flush (`synchronous_commit = off`). Only for a process
   * whose every write can be redone: the worker, whose work all comes from outbox rows whose
   * done-mark it writes after the work. WAL is written in order, so if a crash of PostgreSQL
   * loses a commit it also loses every later one, that done-mark included, and the sweeper
   * sends the job again. What an intake promises with its 201 is never written this way.
   */
  deferredCommits?: boolean;
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions({
              url: requireUrl(config.DATABASE_URL),
              poolSize: config.DATABASE_POOL_SIZE,
              applicationName: `mayak-${process.title}`,
              deferredCommits: options.deferredCommits,
            }),
            autoLoadEntities: true,
            // Fail fast at start-up; the supervisor or orchestrator restarts us.
            retryAttempts: 0,
          }),
        }),
      ],
      providers: [DatabaseRoleCheck],
    };
  }
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
}
