import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { EmbeddedPostgres } from '@mayak/platform/embedded';
import { isRoot, run, systemUser } from '@mayak/platform/embedded/processes';
import { loadConfig } from '@mayak/platform';
import { StatisticsService, StatsQuery, StatsReads } from '@mayak/statistics';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  systemPostgresBinDir,
  TestEnvironment,
} from '@mayak/testing';

jest.setTimeout(180_000);

const STREAMING = { wal_level: 'replica', max_wal_senders: '4', hot_standby: 'on', fsync: 'off' };
const DAY = 86_400_000;

/**
 * Statistics from a PostgreSQL streaming replica (issue 14, point 5): a private primary, a
 * hot standby made from it by pg_basebackup, both real servers. With DATABASE_REPLICA_URL the
 * API's statistics read from the standby: stale while its replay is paused (so the reads are
 * really there), right again once it catches up, and from the primary if it is gone.
 */
describe('statistics from a streaming replica', () => {
  const binDir = systemPostgresBinDir();
  let dir: string;
  let primary: EmbeddedPostgres;
  let standby: EmbeddedPostgres;
  let standbyPort: number;
  let env: TestEnvironment;
  let api: RunningApi;
  let plainApi: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let volunteerToken: string;
  const day = new Date(Date.now() - 40 * DAY).toISOString().slice(0, 10);

  beforeAll(async () => {
    if (!binDir)
      throw new Error('PostgreSQL server binaries are not installed (/usr/lib/postgresql)');
    dir = await mkdtemp(path.join(tmpdir(), 'mayak-replica-'));
    await chmod(dir, 0o755);
    primary = new EmbeddedPostgres({
      dataDir: path.join(dir, 'primary'),
      user: 'postgres',
      binDir,
      settings: STREAMING,
    });
    const primaryPort = await primary.start();
    const adminUrl = primary.url(primaryPort);

    // The standby: a base backup of the primary, streaming from it (-R writes the settings).
    const standbyDir = path.join(dir, 'standby');
    const runAs = isRoot() ? await systemUser('postgres') : undefined;
    await mkdir(standbyDir, { mode: 0o700 });
    if (runAs) await chown(standbyDir, runAs.uid, runAs.gid);
    await run(
      path.join(binDir, 'pg_basebackup'),
      ['-d', adminUrl, '-D', standbyDir, '-R', '-X', 'stream', '-c', 'fast'],
      { runAs },
    );
    standby = new EmbeddedPostgres({
      dataDir: standbyDir,
      user: 'postgres',
      binDir,
      settings: STREAMING,
    });
    standbyPort = await standby.start();

    const base = await createTestEnvironment(
      { STATS_TIMEZONE: 'Europe/Moscow' },
      { postgresAdminUrl: adminUrl },
    );
    // The same database and role on the standby: everything arrives there by replication.
    const replicaUrl = new URL(base.env.DATABASE_URL);
    replicaUrl.port = String(standbyPort);
    const withReplica = { ...base.env, DATABASE_REPLICA_URL: replicaUrl.toString() };
    env = { ...base, env: withReplica, config: loadConfig(withReplica) };
    api = await startApi(env);
    plainApi = await startApi(base);
    worker = await startWorker(base);
    http = new HttpClient(api.url);
    volunteerToken = await signIn(http, await createUser(api.app, ['volunteer']));
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await plainApi?.close();
    await env?.dispose();
    await standby?.destroy();
    await primary?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const standbySql = async <T>(sql: string): Promise<T[]> => {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: standby.url(standbyPort) });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const caughtUp = async () => {
    const [{ lsn }] = await env.db.query(`SELECT pg_current_wal_lsn()::text AS lsn`);
    await eventually(
      'the standby to replay up to the primary',
      async () =>
        (
          await standbySql<{ done: boolean }>(
            `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS done`,
          )
        )[0].done,
      30_000,
      100,
    );
  };
  const log = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const answer = await http.post(
        '/api/contacts',
        contactBody({ services: [], startedAt: `${day}T09:00:00Z` }),
        { token: volunteerToken },
      );
      expect(answer.status).toBe(201);
    }
  };
  const query: StatsQuery = {
    from: day,
    to: day,
    period: 'day',
    measure: 'contacts',
    groupBy: ['region'],
    filters: {},
  };
  const countOn = async (which: RunningApi): Promise<number> => {
    // From the contacts' facts, not the rollups the worker builds behind: the ground truth.
    const result = await which.app
      .get(StatisticsService)
      .compute(query, { unprotected: true, source: 'contacts' });
    return result.rows.reduce((n, row) => n + (row.count ?? 0), 0);
  };

  it('reads from the standby: stale while its replay is paused, the same as the primary once it catches up', async () => {
    expect(api.app.get(StatsReads).usingReplica).toBe(true);
    await log(6);
    await caughtUp();
    expect(await countOn(api)).toBe(6);

    await standbySql(`SELECT pg_wal_replay_pause()`);
    await log(4);
    // The primary has 10; the standby, paused, still says 6: the answer came from it.
    expect(await countOn(plainApi)).toBe(10);
    expect(await countOn(api)).toBe(6);
    const onStandby = await standbySql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'mayak-stats-replica'`,
    );
    expect(onStandby[0].n).toBeGreaterThan(0);

    await standbySql(`SELECT pg_wal_replay_resume()`);
    await caughtUp();
    expect(await countOn(api)).toBe(10);
    // And the answer the coordinators get is the primary's, cell for cell.
    const total: StatsQuery = { ...query, groupBy: [] };
    const released = await api.app.get(StatisticsService).compute(total, { source: 'contacts' });
    const fromPrimary = await plainApi.app
      .get(StatisticsService)
      .compute(total, { source: 'contacts' });
    expect(fromPrimary.rows).toEqual([{ period: day, count: 10 }]);
    expect(released.rows).toEqual(fromPrimary.rows);
  });

  it('answers from the primary when the standby is gone', async () => {
    await standby.stop('immediate');
    await log(1);
    expect(await countOn(api)).toBe(11);
    expect(api.app.get(StatsReads).usingReplica).toBe(false);
  });
});
