import { INestApplicationContext } from '@nestjs/common';
import { KeyRing, SealedError } from '@mayak/platform';
import { SealedRollups, StatisticsService, StatsQuery } from '@mayak/statistics';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  initCustody,
  RunningApi,
  sealedOverrides,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
  unsealWithShares,
} from '@mayak/testing';

const DAY = 86_400_000;
const day = new Date(Date.now() - 100 * DAY).toISOString().slice(0, 10);
const month = day.slice(0, 7);

/** The questions warmed before sealing: a plain total, a breakdown and a level of the cover. */
const QUERIES = {
  total: `from=${day}&to=${day}&period=month`,
  breakdown: `from=${day}&to=${day}&period=month&groupBy=region`,
  cover: `from=${day}&to=${day}&period=month&groupBy=channel,outcome`,
};

function statsQuery(groupBy: StatsQuery['groupBy']): StatsQuery {
  return { from: day, to: day, period: 'month', measure: 'contacts', groupBy, filters: {} };
}

/**
 * Everything a service keeps in memory, found the way an attacker with the process would look
 * for it, not by the names this version gives it: every field of the object that is a
 * collection with a size (the statistics' remembered maps, the rollups' caches, and any added
 * later). Each one's size, by field.
 */
function heldIn(service: object): Record<string, number> {
  const held: Record<string, number> = {};
  for (const [field, value] of Object.entries(service)) {
    if (!value || typeof value !== 'object' || typeof value.clear !== 'function') continue;
    const size: unknown = value.size;
    if (typeof size === 'number') held[field] = size;
    else if (size && typeof size === 'object') held[field] = Object.values(size)[0] as number;
  }
  return held;
}

/**
 * Sealing the key ring (a lockdown) must take with it every statistic the keys opened: what
 * the rollups held decrypted, and every protected table, cover plan, month's totals and whole
 * answer remembered from them. After it the process serves none of it and holds none of it
 * (the JSON it sent is zeroed), and an answer that was being computed when the ring sealed is
 * neither released nor remembered.
 */
describe('sealing the key ring clears the statistics it had opened', () => {
  let env: TestEnvironment;
  let shares: string[];
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let coordinator: TestUser;
  let token: string;
  let statistics: StatisticsService;
  let rollups: SealedRollups;

  beforeAll(async () => {
    env = await createTestEnvironment({ ...sealedOverrides(), STATS_TIMEZONE: 'Europe/Moscow' });
    shares = await initCustody(env);
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    await unsealWithShares(api.url, shares.slice(0, 2));
    await eventually('the worker unsealed', async () => !worker.get(KeyRing).sealed, 5_000, 20);
    statistics = api.app.get(StatisticsService);
    rollups = api.app.get(SealedRollups);
    coordinator = await createUser(api.app, ['coordinator']);
    token = await signIn(http, coordinator);
    const volunteer = await signIn(http, await createUser(api.app, ['volunteer']));
    for (let i = 0; i < 12; i++) {
      const r = await http.post(
        '/api/contacts',
        contactBody({
          startedAt: `${day}T09:00:00Z`,
          services: [],
          consent: { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 365 },
        }),
        { token: volunteer },
      );
      expect(r.status).toBe(201);
    }
    await eventually(
      'the rollups to count the contacts',
      async () => {
        const r = await http.get(`/api/stats?${QUERIES.total}`, { token });
        return r.body.rows?.[0]?.count === 12 ? r : undefined;
      },
      15_000,
      200,
    );
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  it('after a lockdown nothing computed under the old keys is served or held', async () => {
    // Each asked twice through the API: the second answer is the remembered one.
    for (const query of [...Object.values(QUERIES), ...Object.values(QUERIES)]) {
      const r = await http.get(`/api/stats?${query}`, { token });
      expect(r.status).toBe(200);
      expect(r.body.rows.length).toBeGreaterThan(0);
    }
    const actor = { userId: coordinator.id, roles: ['coordinator' as const] };
    // The remembered answer's own JSON, the bytes the API sends for it.
    const sent = await statistics.queryJson(actor, statsQuery(['channel', 'outcome']));
    expect(JSON.parse(sent.toString()).rows[0]).toMatchObject({ period: month });
    // Everything is in memory now, or the rest of this test would prove nothing.
    const before = { statistics: heldIn(statistics), rollups: heldIn(rollups) };
    expect(Object.keys(before.statistics)).toHaveLength(4);
    for (const [field, size] of Object.entries({ ...before.statistics, ...before.rollups }))
      expect({ field, held: size > 0 }).toEqual({ field, held: true });

    expect((await http.post('/api/lockdown', {}, { token })).status).toBe(202);
    await eventually('the API to seal', async () => api.app.get(KeyRing).sealed, 2_000, 10);

    // Held: nothing, and the bytes sent from memory are zeroed.
    const after = { statistics: heldIn(statistics), rollups: heldIn(rollups) };
    expect(after).toEqual({
      statistics: Object.fromEntries(Object.keys(before.statistics).map((f) => [f, 0])),
      rollups: Object.fromEntries(Object.keys(before.rollups).map((f) => [f, 0])),
    });
    expect(sent.every((byte) => byte === 0)).toBe(true);
    // Served: nothing, through the API or inside the process, protected or not.
    expect((await http.get(`/api/stats?${QUERIES.cover}`, { token })).status).toBe(503);
    for (const groupBy of [[], ['region'], ['channel', 'outcome']] as const) {
      await expect(statistics.compute(statsQuery([...groupBy]))).rejects.toThrow(SealedError);
      await expect(
        statistics.compute(statsQuery([...groupBy]), { unprotected: true }),
      ).rejects.toThrow(SealedError);
      await expect(statistics.query(actor, statsQuery([...groupBy]))).rejects.toThrow(SealedError);
    }
  });

  it('an answer being computed when the ring seals is neither released nor remembered', async () => {
    await unsealWithShares(api.url, shares.slice(1, 3));
    await eventually('the API unsealed', async () => !api.app.get(KeyRing).sealed, 5_000, 20);
    const ring = api.app.get(KeyRing);
    const actor = { userId: coordinator.id, roles: ['coordinator' as const] };
    // The lockdown lands after the rollups were read and opened, while disclosure control
    // protects the month's table: the last step before the answer is remembered and sent.
    type Protect = { protectPeriod: (...args: unknown[]) => unknown };
    const original = (Object.getPrototypeOf(statistics) as Protect).protectPeriod;
    const protect = jest
      .spyOn(statistics as never as Protect, 'protectPeriod')
      .mockImplementation(function (this: unknown, ...args: unknown[]) {
        ring.wipe();
        return original.apply(this, args);
      });
    try {
      await expect(statistics.query(actor, statsQuery(['region', 'topic']))).rejects.toThrow(
        SealedError,
      );
      expect(protect).toHaveBeenCalled();
    } finally {
      protect.mockRestore();
    }
    expect(ring.sealed).toBe(true);
    const held = { ...heldIn(statistics), ...heldIn(rollups) };
    expect(Object.values(held).every((size) => size === 0)).toBe(true);
  });
});
