import {
  AppConfig,
  BACKGROUND_SLICE_WAIT_MS,
  EnvelopeCipher,
  LOGGER,
  UrgentWork,
} from '@mayak/platform';
import { ContactFactsSource, ContactSeeder } from '@mayak/statistics';
import { createTestEnvironment, RunningApi, startApi, TestEnvironment } from '@mayak/testing';
import { DataSource } from 'typeorm';

/**
 * The worker that rolls up a burst's contacts also runs the emergency timers. Opening a
 * rollup's contacts (a data key unwrapped and the facts opened, for each) in one go held the
 * event loop for as long as the whole batch took, and every timer due meanwhile waited: in the
 * bench, 15-25 ms for a rollup of 1,000 contacts. The contacts are opened a slice at a time,
 * with a turn of the event loop between slices.
 */
describe("a rollup's contacts are opened a slice at a time", () => {
  let env: TestEnvironment;
  let api: RunningApi;
  const CONTACTS = 2_000;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    await api.app.get(ContactSeeder).seed({ contacts: CONTACTS, days: 1, batch: 1_000, seed: 7 });
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('lets the event loop turn at least every 100 contacts, and opens them all', async () => {
    const ids = (
      (await env.db.query(`SELECT id::text AS id FROM contacts`)) as Array<{ id: string }>
    ).map((r) => r.id);
    expect(ids).toHaveLength(CONTACTS);

    // A ticker that counts the event loop's turns; each data key unwrapped notes the count.
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const cipher = api.app.get(EnvelopeCipher);
    const unwrap = cipher.unwrapDataKey.bind(cipher);
    const seen: number[] = [];
    cipher.unwrapDataKey = ((...args: Parameters<EnvelopeCipher['unwrapDataKey']>) => {
      if (args[0] === 'contact_facts') seen.push(turns);
      return unwrap(...args);
    }) as EnvelopeCipher['unwrapDataKey'];
    try {
      const facts = await api.app
        .get(ContactFactsSource)
        .ofContacts(api.app.get(DataSource).manager, ids);
      expect(facts).toHaveLength(CONTACTS);
      expect(new Set(facts.map((f) => f.id))).toEqual(new Set(ids));
    } finally {
      ticking = false;
      cipher.unwrapDataKey = unwrap;
    }

    // The longest run of contacts opened with no turn of the event loop between them.
    expect(seen).toHaveLength(CONTACTS);
    let longest = 0;
    let run = 0;
    for (const [n, turn] of seen.entries()) {
      run = n > 0 && turn === seen[n - 1] ? run + 1 : 1;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThan(1);
    expect(longest).toBeLessThanOrEqual(100);
  });

  it('in the worker, each slice waits while emergency work runs', async () => {
    const ids = (
      (await env.db.query(`SELECT id::text AS id FROM contacts`)) as Array<{ id: string }>
    ).map((r) => r.id);
    const urgent = new UrgentWork();
    const source = new ContactFactsSource(
      api.app.get(EnvelopeCipher),
      api.app.get(AppConfig),
      api.app.get(LOGGER),
      urgent,
    );
    const em = api.app.get(DataSource).manager;
    const open = async () => {
      const started = Date.now();
      expect(await source.ofContacts(em, ids)).toHaveLength(CONTACTS);
      return Date.now() - started;
    };
    // Quiet: the slices follow one another (40 slices of 50).
    const quiet = await open();
    // A surge that lasts through the opening: each of the 39 turns between slices waits for it,
    // BACKGROUND_SLICE_WAIT_MS at most, and then goes on.
    let end!: () => void;
    const surge = urgent.track(() => new Promise<void>((resolve) => (end = resolve)));
    const busy = await open();
    end();
    await surge;
    const waits = CONTACTS / 50 - 1;
    expect(busy).toBeGreaterThanOrEqual(waits * (BACKGROUND_SLICE_WAIT_MS - 2));
    expect(quiet).toBeLessThan(waits * (BACKGROUND_SLICE_WAIT_MS - 2));
  });
});
