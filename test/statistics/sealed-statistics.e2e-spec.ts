import { INestApplicationContext } from '@nestjs/common';
import { EnvelopeCipher, markStatsDays } from '@mayak/platform';
import { RetentionService } from '@mayak/retention';
import {
  BucketCells,
  CUBOIDS,
  cuboidName,
  DIMENSION,
  DIMENSIONS,
  Grain,
  RetiredStatisticsSealing,
  SealedRollups,
  StatisticsService,
  StatsQuery,
  StatsRollupService,
} from '@mayak/statistics';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  OutboxReader,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

const DAY = 86_400_000;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** version (1) | iv (12) | tag (16) before the sealed plaintext. */
const SEAL_OVERHEAD = 29;

/** Logs contacts through the API, each at noon UTC of `day` (the same day in Moscow). */
async function logContacts(
  http: HttpClient,
  token: string,
  day: string,
  n: number,
  overrides: (i: number) => Record<string, unknown> = () => ({}),
): Promise<Array<{ id: string; callerId: string }>> {
  const logged: Array<{ id: string; callerId: string }> = [];
  for (let i = 0; i < n; i++) {
    const r = await http.post<{ id: string; callerId: string }>(
      '/api/contacts',
      contactBody({ startedAt: `${day}T12:00:00Z`, services: [], ...overrides(i) }),
      { token },
    );
    expect(r.status).toBe(201);
    logged.push(r.body);
  }
  return logged;
}

/** A day's total through the statistics service, unprotected (it decrypts the rollups). */
async function totalOn(statistics: StatisticsService, day: string): Promise<number> {
  const query: StatsQuery = {
    from: day,
    to: day,
    period: 'day',
    measure: 'contacts',
    groupBy: [],
    filters: {},
  };
  return (await statistics.compute(query, { unprotected: true })).rows[0]?.count ?? 0;
}

/**
 * Every stored rollup of `grain`, opened, each cell written out by its values' names (the
 * order of values inside a row depends on how it was added up, not on what it counts).
 */
async function storedRollups(
  rollups: SealedRollups,
  env: TestEnvironment,
  grain: Grain,
): Promise<Record<string, string[]>> {
  const stored: Record<string, string[]> = {};
  for (const { bucket, cells } of await rollups.load(
    env.db.manager,
    grain,
    '2000-01-01',
    '2100-01-01',
  ))
    stored[bucket] = cellsByName(cells);
  return stored;
}

function cellsByName(cells: BucketCells): string[] {
  const named: string[] = [];
  cells.cuboids.forEach((cuboid, id) => {
    if (!cuboid) return;
    const positions = CUBOIDS[id].map((d) => DIMENSIONS.indexOf(d));
    const n = positions.length;
    for (let c = 0; c < cuboid.contacts.length; c++) {
      const values = positions.map((p, j) => cells.values[p][cuboid.keys[c * n + j]]);
      named.push(
        `${cuboidName(CUBOIDS[id])}:${values.join('|')}=${cuboid.contacts[c]}/${cuboid.consented[c]}`,
      );
    }
  });
  return named.sort();
}

/** Counts the data keys unwrapped, by table: how many sealed rows some work opens. */
function countOpened(cipher: EnvelopeCipher): { opened: Map<string, number>; stop: () => void } {
  const opened = new Map<string, number>();
  const unwrap = cipher.unwrapDataKey.bind(cipher);
  const spy = jest.spyOn(cipher, 'unwrapDataKey').mockImplementation((table, id, wrapped) => {
    opened.set(table, (opened.get(table) ?? 0) + 1);
    return unwrap(table, id, wrapped);
  });
  return { opened, stop: () => spy.mockRestore() };
}

describe('statistics at rest, as whoever seizes the database reads them', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let token: string;

  beforeAll(async () => {
    env = await createTestEnvironment({ STATS_TIMEZONE: 'Europe/Moscow' });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    token = await signIn(http, await createUser(api.app, ['volunteer']));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  it('no count, no category: one padded ciphertext per day, month and retired day', async () => {
    // A rare combination on a day of its own: exactly what a plaintext rollup gave away.
    const day = dateOf(Date.now() - 200 * DAY);
    const logged = await logContacts(http, token, day, 7, (i) => ({
      region: i === 0 ? 'RU-CHU' : 'RU-MOW',
      topics: i === 0 ? ['extortion'] : ['online_harassment'],
      channel: 'messenger',
      outcome: 'information_given',
      caller: { ...contactBody().caller, genderIdentity: 'non_binary', ageBand: '65_plus' },
      // Kept a year from the call: only the two expired by hand below go.
      consent: { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 365 },
    }));
    await worker.get(StatsRollupService).incremental();
    // Retention deletes two of them: their cells move into the day's retired part.
    await env.db.query(
      `UPDATE contacts SET expires_at = now() - interval '1 day' WHERE id = ANY($1::uuid[])`,
      [logged.slice(0, 2).map((c) => c.id)],
    );
    expect((await worker.get(RetentionService).sweep()).deleted.contacts).toBe(2);
    await worker.get(StatsRollupService).full();
    expect(await totalOn(api.app.get(StatisticsService), day)).toBe(7);

    // What the statistics tables are made of: no column could hold a count or a category.
    const columns: Array<{ table: string; column: string; type: string }> = await env.db.query(
      `SELECT table_name AS table, column_name AS column, data_type AS type
         FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name LIKE 'stats\\_%'
        ORDER BY table_name, ordinal_position`,
    );
    const shape: Record<string, string[]> = {};
    for (const c of columns) (shape[c.table] ??= []).push(`${c.column} ${c.type}`);
    expect(shape).toMatchObject({
      stats_dirty_days: ['day date', 'claimed boolean'],
      stats_new_contacts: ['contact_id uuid'],
      stats_retired: ['id text', 'day date', 'dek_wrapped bytea', 'cells_enc bytea'],
      stats_rollup_state: ['id boolean', 'last_full_build timestamp with time zone'],
      stats_rollups: [
        'id text',
        'grain text',
        'bucket date',
        'version bigint',
        'dek_wrapped bytea',
        'cells_enc bytea',
      ],
    });
    // The plaintext retired table of the version before is left only until it is sealed.
    expect(Object.keys(shape).sort()).toEqual([
      'stats_dirty_days',
      'stats_new_contacts',
      'stats_retired',
      'stats_retired_unsealed',
      'stats_rollup_state',
      'stats_rollups',
    ]);

    // Every value of every row, read as the attacker would, bytes as text.
    const values: string[] = [];
    for (const table of Object.keys(shape))
      for (const row of await env.db.query<Array<Record<string, unknown>>>(
        `SELECT * FROM ${table}`,
      ))
        for (const value of Object.values(row))
          values.push(Buffer.isBuffer(value) ? value.toString('latin1') : String(value));
    const everything = values.join('\n');
    // Codes long enough that random ciphertext does not spell them by chance.
    const codes = DIMENSIONS.flatMap((d) => DIMENSION[d].values).filter((v) => v.length >= 6);
    expect(codes).toEqual(expect.arrayContaining(['RU-CHU', 'extortion', 'non_binary']));
    for (const code of codes)
      expect({ code, found: everything.includes(code) }).toEqual({ code, found: false });
    expect(await env.db.query(`SELECT count(*)::int AS n FROM stats_retired_unsealed`)).toEqual([
      { n: 0 },
    ]);

    // One row per day and month, and one retired day; each ciphertext padded to whole 4 KiB
    // blocks, so its length does not count cells.
    const rows: Array<{ id: string; length: number }> = await env.db.query(
      `SELECT id, length(cells_enc) AS length FROM stats_rollups
       UNION ALL SELECT id, length(cells_enc) FROM stats_retired ORDER BY 1`,
    );
    expect(rows.map((r) => r.id)).toEqual(
      expect.arrayContaining([`day:${day}`, `month:${day.slice(0, 8)}01`, `retired:${day}`]),
    );
    for (const row of rows) expect((row.length - SEAL_OVERHEAD) % 4096).toBe(0);
  });
});

describe('building sealed rollups', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let token: string;
  let rollups: StatsRollupService;
  let statistics: StatisticsService;

  // No worker: nothing builds but the test itself.
  beforeAll(async () => {
    env = await createTestEnvironment({ STATS_TIMEZONE: 'Europe/Moscow' });
    api = await startApi(env);
    http = new HttpClient(api.url);
    token = await signIn(http, await createUser(api.app, ['volunteer']));
    rollups = api.app.get(StatsRollupService);
    statistics = api.app.get(StatisticsService);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('a contact committed while a build runs is counted by the next build, even on a day already marked', async () => {
    const day = dateOf(Date.now() - 250 * DAY);
    await logContacts(http, token, day, 2);
    await rollups.incremental();
    expect(await totalOn(statistics, day)).toBe(2);

    // A third contact of the day: committed, marked new, not built yet.
    await logContacts(http, token, day, 1);
    // A fourth is held just before its commit: its contact and its mark are written, and its
    // outbox row waits behind another transaction's uncommitted row of the same job key (the
    // outbox insert is the last part of the intake's one statement, which begins with its
    // callers' CTE, or its own statement when the batch goes the locking way; pg_stat_activity
    // keeps only the first kilobyte of a statement's text).
    // (Windows from the next one on: the current one's row is already committed.)
    const next = Math.floor(Date.now() / 5000) + 1;
    const blocker = env.db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    // (The keys as the outbox stores them: pseudonyms of the rollup windows' keys.)
    const outbox = OutboxReader.of(env);
    await blocker.query(
      `INSERT INTO outbox (queue, job_name, payload, job_key)
       SELECT 'maintenance', 'stats-rollup', '{}', k FROM unnest($1::text[]) AS k`,
      [Array.from({ length: 25 }, (_, i) => outbox.jobKey(`stats-rollup-${next + i}`))],
    );
    await new Promise((resolve) => setTimeout(resolve, next * 5000 - Date.now() + 10));
    let committed = false;
    const held = logContacts(http, token, day, 1).finally(() => (committed = true));
    try {
      await eventually('the fourth intake to wait for its commit', async () => {
        const [{ waiting }] = await env.db.query<Array<{ waiting: number }>>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND (query LIKE 'INSERT INTO outbox%' OR query LIKE 'WITH callers_added%')`,
        );
        return waiting > 0;
      });
      expect(committed).toBe(false);
      // The build takes the marks committed and adds those contacts: three.
      await rollups.incremental();
      expect(await totalOn(statistics, day)).toBe(3);
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    await held;
    // The fourth contact's own mark outlived that build: the next one counts it.
    await rollups.incremental();
    expect(await totalOn(statistics, day)).toBe(4);
  });

  it('a build that dies adds nothing and leaves its marks, and the next one builds them', async () => {
    const day = dateOf(Date.now() - 255 * DAY);
    await logContacts(http, token, day, 3);
    // And the day marked dirty (as a withdrawal marks it), claimed by a build that died.
    await env.db.transaction((em) => markStatsDays(em, [day]));
    await env.db.query(`UPDATE stats_dirty_days SET claimed = true`);
    // This one dies writing the month the new contacts add to: their days' rows go back too.
    const sealed = api.app.get(SealedRollups);
    const write = sealed.write.bind(sealed);
    const dying = jest
      .spyOn(sealed, 'write')
      .mockImplementation((em, grain, bucket, cells) =>
        grain === 'month'
          ? Promise.reject(new Error('the build dies'))
          : write(em, grain, bucket, cells),
      );
    try {
      await expect(rollups.incremental()).rejects.toThrow('the build dies');
    } finally {
      dying.mockRestore();
    }
    expect(await totalOn(statistics, day)).toBe(0);
    expect(await env.db.query(`SELECT count(*)::int AS n FROM stats_new_contacts`)).toEqual([
      { n: 3 },
    ]);
    await rollups.incremental();
    expect(await totalOn(statistics, day)).toBe(3);
    expect(await env.db.query(`SELECT day FROM stats_dirty_days`)).toEqual([]);
    expect(await env.db.query(`SELECT contact_id FROM stats_new_contacts`)).toEqual([]);
  });

  it('a full rebuild that dies before writing a month leaves its days marked, and the next run writes it', async () => {
    const day = dateOf(Date.now() - 340 * DAY);
    const month = `${day.slice(0, 8)}01`;
    const monthTotal = async () =>
      (
        await statistics.compute(
          { from: day, to: day, period: 'month', measure: 'contacts', groupBy: [], filters: {} },
          { unprotected: true },
        )
      ).rows[0]?.count ?? 0;
    await logContacts(http, token, day, 2);
    await rollups.incremental();
    await logContacts(http, token, day, 1);
    const sealed = api.app.get(SealedRollups);
    const write = sealed.write.bind(sealed);
    const dying = jest
      .spyOn(sealed, 'write')
      .mockImplementation((em, grain, bucket, cells) =>
        grain === 'month' && bucket === month
          ? Promise.reject(new Error('the build dies'))
          : write(em, grain, bucket, cells),
      );
    try {
      await expect(rollups.full()).rejects.toThrow('the build dies');
    } finally {
      dying.mockRestore();
    }
    // The day counted the third contact (and took its mark); the month was left as it was.
    expect(await totalOn(statistics, day)).toBe(3);
    expect(await monthTotal()).toBe(2);
    await rollups.incremental();
    expect(await monthTotal()).toBe(3);
    expect(await env.db.query(`SELECT day FROM stats_dirty_days`)).toEqual([]);
  });

  it('a run after one intake opens that contact alone, however many its day and month already hold', async () => {
    const day = dateOf(Date.now() - 300 * DAY);
    const sameMonth = `${day.slice(0, 8)}${day.endsWith('-01') ? '02' : '01'}`;
    const cipher = api.app.get(EnvelopeCipher);
    const openedByOneIntake = async () => {
      await logContacts(http, token, day, 1);
      const { opened, stop } = countOpened(cipher);
      try {
        await rollups.incremental();
      } finally {
        stop();
      }
      return Object.fromEntries(opened);
    };
    await logContacts(http, token, day, 5);
    await rollups.incremental();
    const few = await openedByOneIntake();
    // Its day (and week) grow sevenfold, and its month more.
    await logContacts(http, token, day, 36);
    await logContacts(http, token, sameMonth, 10);
    await rollups.incremental();
    const many = await openedByOneIntake();
    // Its own facts, and the rows of its day and of its month: nothing else.
    expect(few).toEqual({ contact_facts: 1, stats_rollups: 2 });
    expect(many).toEqual(few);
    expect(await totalOn(statistics, day)).toBe(43);
  });

  it('what incremental runs add up to is what a full rebuild counts, through withdrawals and deletions', async () => {
    const first = dateOf(Date.now() - 330 * DAY);
    const second = dateOf(Date.now() - 329 * DAY);
    const later = dateOf(Date.now() - 310 * DAY);
    // Contacts that differ in every cuboid's way; every third without statistics consent.
    const varied = (i: number) => ({
      region: ['RU-MOW', 'RU-SPE', 'RU-CHU'][i % 3],
      topics: [['violence'], ['detention', 'extortion']][i % 2],
      channel: i % 4 ? 'phone' : 'messenger',
      consent: {
        scopes: i % 3 ? ['statistics'] : [],
        textVersion: '2026-01',
        retentionDays: 365,
      },
    });
    const counted = [
      ...(await logContacts(http, token, first, 6, varied)),
      ...(await logContacts(http, token, second, 4, varied)),
    ];
    await rollups.incremental();
    const fresh = [
      ...(await logContacts(http, token, first, 3, varied)),
      ...(await logContacts(http, token, later, 3, varied)),
    ];
    // Statistics consent withdrawn: by a contact counted already, and by one not added yet.
    for (const contact of [counted[1], fresh[1]]) {
      const r = await http.post(
        `/api/callers/${contact.callerId}/consent/withdraw`,
        { scopes: ['statistics'] },
        { token },
      );
      expect(r.status).toBe(200);
    }
    // Retention deletes a contact counted already, and one not added yet (as it does: the
    // statistics first, in the deleting transaction).
    const deleted = [counted[2].id, fresh[2].id];
    await env.db.transaction(async (em) => {
      await rollups.retire(em, deleted);
      await em.query(`DELETE FROM consents WHERE contact_id = ANY($1::uuid[])`, [deleted]);
      await em.query(`DELETE FROM contacts WHERE id = ANY($1::uuid[])`, [deleted]);
    });
    await rollups.incremental();
    const sealed = api.app.get(SealedRollups);
    const built = {
      day: await storedRollups(sealed, env, 'day'),
      month: await storedRollups(sealed, env, 'month'),
    };
    expect(await env.db.query(`SELECT contact_id FROM stats_new_contacts`)).toEqual([]);
    expect(await totalOn(statistics, first)).toBe(9);
    expect(await totalOn(statistics, later)).toBe(3);

    await rollups.full();
    expect({
      day: await storedRollups(sealed, env, 'day'),
      month: await storedRollups(sealed, env, 'month'),
    }).toEqual(built);
    expect(built.day[first].length).toBeGreaterThan(50);
  });

  it('retired statistics an older version kept in plaintext are sealed by the first process with the keys, and still count', async () => {
    const day = dateOf(Date.now() - 260 * DAY);
    // As the SealedStatistics migration leaves them: the old stats_retired_day, renamed.
    await env.db.query(
      `INSERT INTO stats_retired_unsealed (cuboid, bucket, region, contacts, consented)
       VALUES (0, $1, '', 5, 4), (2, $1, 'RU-CHU', 5, 4)`,
      [day],
    );
    expect(await api.app.get(RetiredStatisticsSealing).sealRemaining()).toBe(2);
    expect(await env.db.query(`SELECT count(*)::int AS n FROM stats_retired_unsealed`)).toEqual([
      { n: 0 },
    ]);
    expect(await env.db.query(`SELECT id FROM stats_retired`)).toContainEqual({
      id: `retired:${day}`,
    });
    // Its day was marked: the next build adds it back.
    await rollups.incremental();
    const byRegion = await statistics.compute(
      { from: day, to: day, period: 'day', measure: 'contacts', groupBy: ['region'], filters: {} },
      { unprotected: true },
    );
    expect(byRegion.rows).toEqual([{ period: day, region: 'RU-CHU', count: 4 }]);
    expect(byRegion.excludedWithoutConsent).toBe(1);
    expect(await totalOn(statistics, day)).toBe(5);
  });

  it('a database upgraded to sealed rollups gets every day rebuilt by the first run, marked or not', async () => {
    const days = [250, 255, 260].map((n) => dateOf(Date.now() - n * DAY));
    const before = await Promise.all(days.map((d) => totalOn(statistics, d)));
    expect(before).toEqual([4, 3, 5]);
    // What the migration leaves: no rollups, no full build yet (and here, not a day marked).
    await env.db.query(`DELETE FROM stats_rollups`);
    await env.db.query(`DELETE FROM stats_dirty_days`);
    await env.db.query(`UPDATE stats_rollup_state SET last_full_build = NULL`);
    expect(await Promise.all(days.map((d) => totalOn(statistics, d)))).toEqual([0, 0, 0]);
    // Every day of the weeks that have contacts (the clear keeps no finer time of a contact).
    const built = await rollups.incremental();
    expect(built?.days).toBeGreaterThanOrEqual(7);
    expect(await Promise.all(days.map((d) => totalOn(statistics, d)))).toEqual(before);
    // A day marked by hand through the platform's helper is built like any other.
    await env.db.transaction((em) => markStatsDays(em, [days[0], days[0]]));
    expect(await env.db.query(`SELECT day::text AS day FROM stats_dirty_days`)).toEqual([
      { day: days[0] },
    ]);
  });
});
