import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  AppConfig,
  dataSourceOptions,
  describeError,
  isConnectionError,
  Logger,
  LOGGER,
} from '@mayak/platform';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** Connections statistics may hold on the replica: answers are few and short. */
const REPLICA_POOL = 4;
/** After the replica failed, how long statistics read from the primary before trying again. */
const REPLICA_RETRY_MS = 30_000;

/**
 * Where statistics read, and in what snapshot. Every answer reads in ONE read-only
 * REPEATABLE READ transaction, so the rollups, the day's facts and the cases it combines are
 * of the same moment: a rollup rebuilt between two of its reads cannot count a contact twice
 * or not at all. With DATABASE_REPLICA_URL that transaction runs on the streaming replica
 * (hot standby): an answer may lag the primary by the replica's replay delay, seconds, but is
 * always the consistent answer of some recent moment. If the replica cannot be reached, the
 * primary answers (and the replica is tried again after REPLICA_RETRY_MS).
 */
@Injectable()
export class StatsReads implements OnApplicationShutdown {
  private replica?: Promise<DataSource>;
  private replicaDownUntil = 0;

  constructor(
    private readonly primary: DataSource,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs `read` in one read-only snapshot, on the replica when there is one. */
  async snapshot<T>(read: (em: EntityManager) => Promise<T>): Promise<T> {
    const replica = await this.replicaSource();
    let runner: QueryRunner | undefined;
    if (replica)
      try {
        runner = await this.begin(replica);
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        this.replicaFailed(error);
      }
    return this.finish(runner ?? (await this.begin(this.primary)), read);
  }

  /** Whether statistics read from a replica now (the tests read it). */
  get usingReplica(): boolean {
    return this.config.DATABASE_REPLICA_URL !== undefined && Date.now() >= this.replicaDownUntil;
  }

  async onApplicationShutdown(): Promise<void> {
    const replica = await this.replica?.catch(() => undefined);
    await replica?.destroy().catch(() => undefined);
  }

  /** A connection of `source` inside a read-only REPEATABLE READ transaction. */
  private async begin(source: DataSource): Promise<QueryRunner> {
    const runner = source.createQueryRunner();
    try {
      await runner.connect();
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return runner;
    } catch (error) {
      await runner.release().catch(() => undefined);
      throw error;
    }
  }

  private async finish<T>(runner: QueryRunner, read: (em: EntityManager) => Promise<T>) {
    try {
      const result = await read(runner.manager);
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async replicaSource(): Promise<DataSource | undefined> {
    const url = this.config.DATABASE_REPLICA_URL;
    if (!url || Date.now() < this.replicaDownUntil) return undefined;
    this.replica ??= new DataSource(
      dataSourceOptions({ url, poolSize: REPLICA_POOL, applicationName: 'mayak-stats-replica' }),
    ).initialize();
    try {
      return await this.replica;
    } catch (error) {
      this.replica = undefined;
      if (!isConnectionError(error)) throw error;
      this.replicaFailed(error);
      return undefined;
    }
  }

  private replicaFailed(error: unknown): void {
    this.replicaDownUntil = Date.now() + REPLICA_RETRY_MS;
    this.logger.warn(
      describeError(error),
      'statistics replica unreachable; reading from the primary for now',
    );
  }
}
