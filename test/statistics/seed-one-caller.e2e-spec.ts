import { CallerRegistry } from '@mayak/contacts';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  runApp,
  signIn,
  startApi,
  TestEnvironment,
} from '@mayak/testing';
import { DataSource } from 'typeorm';

/**
 * `seed --caller-stdin` gives one caller a long history the way intake would have: the
 * caller recognised by their number's keyed hash, their sealed counter moved on and every
 * contact tagged, so the bench's repeat-caller figure measures a caller Mayak really knows.
 */
describe('seed --caller-stdin: one caller with a long history', () => {
  const NUMBER = '+79995550101';
  const SEEDED = 1_200;
  let env: TestEnvironment;
  let api: RunningApi;

  beforeAll(async () => {
    env = await createTestEnvironment();
    // Three batches: the counter must carry over from one transaction to the next.
    const seeded = await runApp(
      'cli',
      [
        'seed',
        '--contacts',
        String(SEEDED),
        '--days',
        '30',
        '--batch',
        '500',
        '--caller-stdin',
        '--no-rollup',
      ],
      env.env,
      `${NUMBER}\n`,
      120_000,
    );
    expect(seeded.stderr).not.toMatch(/error/i);
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toContain('all from one caller');
    api = await startApi(env);
  }, 180_000);
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('makes every seeded contact the caller’s, found through their counter and tags', async () => {
    const registry = api.app.get(CallerRegistry);
    expect(await registry.previousContacts(NUMBER)).toBe(SEEDED);
    const db = api.app.get(DataSource);
    const callers: Array<{ id: string }> = await db.query(
      `SELECT id FROM callers WHERE identifier_hash IS NOT NULL`,
    );
    expect(callers).toHaveLength(1);
    const ids = await registry.contactIdsOf(db.manager, callers[0].id);
    expect(ids).toHaveLength(SEEDED);
    expect(new Set(ids).size).toBe(SEEDED);
    // Nothing in the clear says how often they called: no caller id on the contacts.
    const [{ n }]: Array<{ n: string }> = await db.query(`SELECT count(*) AS n FROM contacts`);
    expect(Number(n)).toBe(SEEDED);
  });

  it('intake then counts the seeded history and carries on the same counter', async () => {
    const http = new HttpClient(api.url);
    const token = await signIn(http, await createUser(api.app, ['volunteer']));
    const body = contactBody();
    body.caller.identifier = NUMBER;
    const first = await http.post('/api/contacts', body, { token });
    expect(first.status).toBe(201);
    expect(first.body.repeatCaller).toEqual({ previousContacts: SEEDED });
    const second = await http.post(
      '/api/contacts',
      { ...body, summary: 'Called again.' },
      { token },
    );
    expect(second.status).toBe(201);
    expect(second.body.callerId).toBe(first.body.callerId);
    expect(second.body.repeatCaller).toEqual({ previousContacts: SEEDED + 1 });
  });

  it('refuses an empty number on standard input', async () => {
    const empty = await runApp(
      'cli',
      ['seed', '--contacts', '1', '--caller-stdin', '--no-rollup'],
      env.env,
      '\n',
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--caller-stdin');
  });
});
