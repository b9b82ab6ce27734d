// Importing the modules defines their prepared statements in this process.
import '@mayak/emergency';
import '@mayak/staffing';
import { preparedStatementNamed } from '@mayak/platform';
import { createTestEnvironment, TestEnvironment } from '@mayak/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * A batch statement's arrays are read through `batchArray`, so that PostgreSQL keeps one
 * generic plan per connection rather than planning every call for the batch at hand (which
 * it did whenever a batch of one or two looked cheaper than the generic plan's ten): the
 * timers' breach statement spent 0.37 ms a call planning. Each statement runs here as the
 * application runs it, on one connection, more than the five custom plans PostgreSQL makes
 * before it compares, with batches of one; afterwards the connection must have used its
 * generic plan, and planned no more than those first five times.
 */
describe('prepared batch statements are planned once per connection', () => {
  let env: TestEnvironment;
  let app: Client;

  beforeAll(async () => {
    env = await createTestEnvironment();
    app = new Client({ connectionString: env.env.DATABASE_URL });
    await app.connect();
  });
  afterAll(async () => {
    await app?.end();
    await env?.dispose();
  });

  const sealed = Buffer.from('sealed');
  /** Each statement's parameters for a batch of one that touches nothing (rolled back anyway). */
  const batches: Record<string, () => unknown[]> = {
    'paging.check-timers': () => [
      [randomUUID()],
      [1],
      [0],
      [sealed],
      ['{"tier":1,"round":0}'],
      ['{"fromTier":1,"toTier":2,"round":0}'],
      [sealed],
      [sealed],
      new Date(),
    ],
    'staff.lock-candidates': () => [['lawyer'], ['["moscow"]'], [1]],
    'outbox.done': () => [['9000000000'], [`no-such-job-${randomUUID()}`]],
    'outbox.sent': () => [['9000000000'], new Date()],
  };

  it.each(Object.keys(batches))('%s', async (name) => {
    const statement = preparedStatementNamed(name);
    expect(statement).toBeDefined();
    await app.query('BEGIN');
    try {
      for (let call = 0; call < 12; call++)
        await app.query({ name, text: statement!.text, values: batches[name]() });
    } finally {
      await app.query('ROLLBACK');
    }
    const {
      rows: [plans],
    } = await app.query<{ generic: number; custom: number }>(
      `SELECT generic_plans::int AS generic, custom_plans::int AS custom
         FROM pg_prepared_statements WHERE name = $1`,
      [name],
    );
    expect(plans).toEqual({ generic: 12 - 5, custom: 5 });
  });
});
