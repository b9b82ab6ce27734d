// Importing the modules defines their prepared statements in this process.
import '@mayak/emergency';
import '@mayak/staffing';
import { binaryByteaArray, PHYSICAL_QUEUE_NAMES, preparedStatementNamed } from '@mayak/platform';
import { createTestEnvironment, TestEnvironment } from '@mayak/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** Statements as the application runs them: on one connection of the application's role. */
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
      // The timers' own outbox rows, deleted with the breach (outboxDone).
      ['9000000000'],
      [`no-such-job-${randomUUID()}`],
    ],
    'staff.lock-candidates': () => [['lawyer'], ['["moscow"]'], [1]],
    'outbox.done': () => [['9000000000'], [`no-such-job-${randomUUID()}`]],
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

/**
 * The outbox relay's idle probe runs every 20 ms, prepared: its plan is made once per
 * connection and kept until the table's statistics change. Statistics taken while a backlog
 * waited (Redis away, a surge) must not give it a plan that reads the table from its start,
 * which, once the backlog is sent, reads every sent and done row at every probe.
 */
describe("the outbox relay's idle probe", () => {
  /** The scans of a statement's plan, as EXPLAIN names them, with their index. */
  const scansOf = async (client: Client, text: string): Promise<string[]> => {
    const {
      rows: [row],
    } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (FORMAT JSON) ${text}`,
    );
    const scans: string[] = [];
    const walk = (node: PlanNode) => {
      if (node['Node Type'].includes('Scan'))
        scans.push(`${node['Node Type']}${node['Index Name'] ? ` ${node['Index Name']}` : ''}`);
      node.Plans?.forEach(walk);
    };
    walk(row['QUERY PLAN'][0].Plan);
    return scans;
  };

  it("reads the pending rows' index, even with statistics taken during a backlog", async () => {
    const probe = preparedStatementNamed('outbox.any-pending');
    expect(probe).toBeDefined();
    // ANALYZE is for the table's owner; the plan is the same for every role.
    const owner = new Client({ connectionString: env.superuserUrl });
    await owner.connect();
    try {
      await owner.query('BEGIN');
      // A backlog: a large share of the table pending when ANALYZE samples it (this
      // transaction's own rows count as live to its ANALYZE; everything is rolled back).
      await owner.query(
        `INSERT INTO outbox (queue, sealed) SELECT $1, '\\x00'::bytea FROM generate_series(1, 20000)`,
        [PHYSICAL_QUEUE_NAMES[0]],
      );
      await owner.query('ANALYZE outbox');
      // The same question without the order reads the table from its start: the hazard.
      expect(await scansOf(owner, `SELECT 1 FROM outbox WHERE status = 'pending' LIMIT 1`)).toEqual(
        ['Seq Scan'],
      );
      expect(await scansOf(owner, probe!.text)).toEqual([
        expect.stringMatching(/^Index (Only )?Scan outbox_pending_idx$/),
      ]);
    } finally {
      await owner.query('ROLLBACK').catch(() => undefined);
      await owner.end();
    }
  });

  it('takes and marks its batch through the indexes, with a backlog or without', async () => {
    const take = preparedStatementNamed('outbox.take-pending');
    expect(take).toBeDefined();
    const owner = new Client({ connectionString: env.superuserUrl });
    await owner.connect();
    /** The plan PostgreSQL keeps for the prepared statement: the generic one. */
    const genericScans = async () => {
      await owner.query(`PREPARE take_plan(int, timestamptz) AS ${take!.text}`);
      await owner.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      const scans = await scansOf(owner, `EXECUTE take_plan(500, now())`);
      await owner.query('DEALLOCATE take_plan');
      // The scans of tables, in name order (a Subquery Scan reads the subquery's rows).
      return scans.filter((scan) => !scan.startsWith('Subquery Scan')).sort();
    };
    const indexed = [
      // The batch from the pending rows' index, each row then by its key: never the table.
      expect.stringMatching(/^Index (Only )?Scan outbox_pending_idx$/),
      'Index Scan outbox_pkey',
    ];
    try {
      await owner.query('BEGIN');
      // Many rows done and sent, few pending: a quiet day after a long one.
      await owner.query(
        `INSERT INTO outbox (queue, sealed, status) SELECT $1, '\\x00'::bytea, 'sent' FROM generate_series(1, 20000)`,
        [PHYSICAL_QUEUE_NAMES[0]],
      );
      await owner.query('ANALYZE outbox');
      expect(await genericScans()).toEqual(indexed);
      // A backlog when ANALYZE samples.
      await owner.query(
        `INSERT INTO outbox (queue, sealed) SELECT $1, '\\x00'::bytea FROM generate_series(1, 20000)`,
        [PHYSICAL_QUEUE_NAMES[0]],
      );
      await owner.query('ANALYZE outbox');
      expect(await genericScans()).toEqual(indexed);
    } finally {
      await owner.query('ROLLBACK').catch(() => undefined);
      await owner.end();
    }
  });
});

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/**
 * A batch's ciphertexts go to PostgreSQL as one binary bytea[] parameter (binaryByteaArray, in
 * every runPrepared), not as an array literal of escaped hex. What arrives must be byte for
 * byte what was sent, nulls and empty values included; a parameter of another type must refuse
 * it, not misread it.
 */
describe('bytea arrays go to PostgreSQL in binary', () => {
  const roundTrip = async (items: Array<Buffer | null>) => {
    const sent = binaryByteaArray(items);
    expect(Buffer.isBuffer(sent)).toBe(true);
    const { rows } = await app.query<{ item: Buffer | null; n: number }>(
      `SELECT item, n::int FROM unnest($1::bytea[]) WITH ORDINALITY AS t (item, n) ORDER BY n`,
      [sent],
    );
    return rows.map((r) => r.item);
  };

  it('arrives as sent: bytes of every value, empty values, nulls, and large ones', async () => {
    const items = [
      Buffer.from([0, 1, 2, 255, 92, 34, 123, 125, 44]), // NUL, backslash, quote, braces, comma
      Buffer.alloc(0),
      null,
      randomBytes(256 * 1024),
      Buffer.from('the last'),
    ];
    expect(await roundTrip(items)).toEqual(items);
  });

  it('is about half the bytes of the hex array literal pg would write', () => {
    const items = Array.from({ length: 16 }, () => randomBytes(600));
    const binary = binaryByteaArray(items) as Buffer;
    // pg's own literal for a Buffer[] (pg/lib/utils arrayString): {\\x<hex>,...}
    const { prepareValue } = jest.requireActual<{ prepareValue: (v: unknown) => string }>(
      'pg/lib/utils',
    );
    const literal = prepareValue(items);
    expect(literal.startsWith('{\\\\x')).toBe(true);
    expect(binary.length).toBe(20 + 16 * (4 + 600));
    expect(binary.length / literal.length).toBeCloseTo(0.5, 1);
  });

  it('leaves alone what is not a non-empty array of Buffers', () => {
    for (const value of [[], [null, null], ['text'], [Buffer.from('a'), 'b'], 'x', 3, null])
      expect(binaryByteaArray(value)).toBe(value);
  });

  it('a parameter of another type refuses it', async () => {
    await expect(
      app.query(`SELECT cardinality($1::text[]) AS n`, [binaryByteaArray([Buffer.from('a')])]),
    ).rejects.toThrow(/element type 17 \(bytea\) instead of expected 25 \(text\)/);
  });

  it('PostgreSQL reads it as the same array as the hex literal', async () => {
    const sent = [randomBytes(32), randomBytes(48)];
    const { rows } = await app.query<{ same: boolean }>(
      `SELECT $1::bytea[] = $2::bytea[] AS same`,
      [binaryByteaArray(sent), sent],
    );
    expect(rows[0].same).toBe(true);
  });
});
