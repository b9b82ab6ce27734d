/**
 * Not part of the suite (its name matches no testMatch): what one incremental rollup run
 * costs after one new contact, when the month already holds 1,000, 20,000 or 60,000 contacts
 * (seeded over its last five days at most, so mostly in the current week), with the cells of
 * the day and month rows it touches. About 20 s.
 * Run: npx jest --testMatch '**\/rollup-cost.measure.ts' test/statistics/rollup-cost.measure.ts
 */
import { EnvelopeCipher } from '@mayak/platform';
import { ContactSeeder, SealedRollups, StatsRollupService } from '@mayak/statistics';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
} from '@mayak/testing';

jest.setTimeout(30 * 60_000);

it('one incremental run after one new contact, by the month already stored', async () => {
  const env: TestEnvironment = await createTestEnvironment({ STATS_TIMEZONE: 'Europe/Moscow' });
  const api: RunningApi = await startApi(env);
  try {
    const http = new HttpClient(api.url);
    const token = await signIn(http, await createUser(api.app, ['volunteer']));
    const rollups = api.app.get(StatsRollupService);
    const cipher = api.app.get(EnvelopeCipher);
    const unwrapped = new Map<string, number>();
    const unwrap = cipher.unwrapDataKey.bind(cipher);
    cipher.unwrapDataKey = ((table: string, ...rest: [string, Buffer]) => {
      unwrapped.set(table, (unwrapped.get(table) ?? 0) + 1);
      return unwrap(table, ...rest);
    }) as typeof cipher.unwrapDataKey;
    // Days of this month only, in Moscow: from the 1st (or the last 5 days) to now.
    const monthStart = Date.parse(`${new Date().toISOString().slice(0, 8)}01T00:00:00+03:00`);
    const days = Math.max(0.5, Math.min(5, (Date.now() - monthStart) / 86_400_000 - 0.1));
    let stored = 0;
    const lines: string[] = [];
    for (const n of [1_000, 20_000, 60_000]) {
      await api.app.get(ContactSeeder).seed({ contacts: n - stored, days, batch: 5_000, seed: n });
      stored = n;
      await rollups.full();
      const runs: Array<{ ms: number; cpu: number; facts: number; rollups: number }> = [];
      for (let i = 0; i < 5; i++) {
        const r = await http.post('/api/contacts', contactBody({ services: [] }), { token });
        expect(r.status).toBe(201);
        stored++;
        unwrapped.clear();
        const cpu = process.cpuUsage();
        const t = performance.now();
        await rollups.incremental();
        const ms = performance.now() - t;
        const used = process.cpuUsage(cpu);
        runs.push({
          ms,
          cpu: (used.user + used.system) / 1000,
          facts: unwrapped.get('contact_facts') ?? 0,
          rollups: (unwrapped.get('stats_rollups') ?? 0) + (unwrapped.get('stats_retired') ?? 0),
        });
      }
      const today = new Date(Date.now() + 3 * 3_600_000).toISOString().slice(0, 10);
      const sizes = await Promise.all(
        (['day', 'month'] as const).map(async (grain) => {
          const start = grain === 'day' ? today : `${today.slice(0, 8)}01`;
          const [row] = await api.app
            .get(SealedRollups)
            .load(env.db.manager, grain, start, `${today.slice(0, 8)}28`);
          return `${grain} ${row?.cells.size ?? 0} cells`;
        }),
      );
      const median = (k: 'ms' | 'cpu') => [...runs].map((r) => r[k]).sort((a, b) => a - b)[2];
      lines.push(
        `month ${n}: incremental median ${median('ms').toFixed(1)} ms wall, ${median('cpu').toFixed(1)} ms CPU; ` +
          `${sizes.join(', ')}; contact facts decrypted ${runs.map((r) => r.facts).join('/')}; rollup rows decrypted ${runs.map((r) => r.rollups).join('/')}`,
      );
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await api.close();
    await env.dispose();
  }
});
