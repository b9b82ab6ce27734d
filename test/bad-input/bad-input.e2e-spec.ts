import fc from 'fast-check';
import { Role, ROLES, SessionService } from '@mayak/identity';
import { CUSTODY_CHANNEL } from '@mayak/custody';
import { KeyRing, loadKeyMaterial } from '@mayak/platform';
import { Client } from 'pg';
import {
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
  byTestMode,
} from '@mayak/testing';
import { DataSource } from 'typeorm';
import { CheckContext, errorBodyProblems, htmlEchoProblems, problemsWith } from './checks';
import { changedTables, DatabaseFingerprint, Fingerprint } from './database-fingerprint';
import {
  BadRequest,
  Caller,
  EDGE_DATES,
  encodePart,
  FuzzContext,
  hostileString,
  requestArb,
  ROLES_AND_ANONYMOUS,
  toWire,
  validRequestArb,
} from './generators';
import {
  documentedResponse,
  jsonSchemaOf,
  OpenApiDocument,
  Operation,
  operationsOf,
  resolveRef,
} from './openapi';
import { closeConnections, send, sendRaw, WireResponse } from './wire';

/**
 * The bad-input property test. It reads the live OpenAPI document, so a new route is covered
 * the moment it is documented, and sends every documented operation, as every role and as
 * nobody, requests with malformed, oversized and hostile bodies, headers, paths and query
 * strings.
 *
 * Replay a failure with the seed it prints: BAD_INPUT_SEED=<seed> npx jest test/bad-input
 * (the same requests, with this run's ids and tokens). Each operation gets 10 hostile requests
 * per caller in the quick mode (`npm test`: about a minute for them all on two idle cores) and
 * 40 in the full one (`npm run test:full`); send more with BAD_INPUT_REQUESTS=<total>. See the
 * statuses each route answered with BAD_INPUT_VERBOSE=1.
 */
const SEED = Number(process.env.BAD_INPUT_SEED ?? 20_261_121);
const BUDGET = Number(process.env.BAD_INPUT_REQUESTS ?? 0);
const MIN_RUNS_PER_OPERATION = byTestMode(10, 40);
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

describe('hostile input to every route in the OpenAPI document', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let base: URL;
  let doc: OpenApiDocument;
  let operations: Operation[];
  let fuzz: FuzzContext;
  let checks: CheckContext;
  let fingerprint: DatabaseFingerprint;
  const users = new Map<Role, TestUser>();
  let throwawayIds: string[] = [];
  const tokens = new Map<Caller, string>();
  /** The database as the last rejected request left it; unknown after a success. */
  let baseline: Fingerprint | undefined;
  const sent = new Map<string, Map<number, number>>();
  let requestsSent = 0;

  /** A listener of our own on the custody channel, to know when a lockdown's NOTIFY is out. */
  let lockdowns: Client;
  let lockdownsHeard = 0;
  let lockdownsHandled = 0;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    lockdowns = new Client({ connectionString: env.superuserUrl });
    await lockdowns.connect();
    await lockdowns.query(`LISTEN ${CUSTODY_CHANNEL}`);
    lockdowns.on('notification', (m) => {
      if (m.payload?.includes('"lockdown"')) lockdownsHeard += 1;
    });
    base = new URL(api.url);
    const http = new HttpClient(api.url);
    const document = await http.get<OpenApiDocument>('/api/docs/openapi.json');
    expect(document.status).toBe(200);
    doc = document.body;
    operations = operationsOf(doc);
    for (const role of ROLES) {
      const user = await createUser(api.app, [role]);
      users.set(role, user);
      tokens.set(role, await signIn(http, user));
    }
    // Sign-in style bodies name these, so failed sign-ins (and lock-outs) happen to them and
    // never to the role users above.
    const throwaway = await Promise.all([1, 2, 3].map(() => createUser(api.app, ['volunteer'])));
    throwawayIds = throwaway.map((u) => u.id);
    const roleUserIds = [...users.values()].map((u) => u.id);
    fuzz = {
      doc,
      operations,
      realIds: [],
      idsByTable: {},
      usernames: throwaway.map((u) => u.username),
    };
    checks = { doc, docText: JSON.stringify(doc), operations };
    fingerprint = await DatabaseFingerprint.of(env.db);
    await createRecords();
    Object.assign(fuzz, await realRecordIds(env.db, roleUserIds));
    // createRecords sends plausible requests to every creating route as every role, with a
    // database fingerprint around each rejected one: about 30 s alone on two idle cores, and
    // twice that beside another suite in CI.
  }, 180_000);

  /**
   * Plausible requests to every operation that creates something (a POST or PUT with a body
   * and no path parameter), as each role, until three succeed or the role is refused: the
   * records they make (contacts, cases, accounts, …) give path parameters real ids to name.
   * They are checked like every other request.
   */
  async function createRecords(): Promise<void> {
    const creating = operations.filter(
      (o) => (o.method === 'POST' || o.method === 'PUT') && o.body && !o.path.includes('{'),
    );
    for (const op of creating)
      for (const role of ROLES) {
        const plausible = fc.sample(validRequestArb(fuzz, op), {
          seed: seedFor(`records ${op.key} as ${role}`),
          numRuns: 40,
        });
        let created = 0;
        for (const request of plausible) {
          const status = await exercise(role, request);
          if (status === 401 || status === 403 || (status < 300 && ++created === 3)) break;
        }
      }
  }

  afterAll(async () => {
    closeConnections();
    await lockdowns?.end();
    await api?.close();
    await env?.dispose();
    if (process.env.BAD_INPUT_VERBOSE) console.log(summary(sent));
  });

  /** Sends one request as the caller and throws with every rule it breaks. */
  async function exercise(caller: Caller, request: BadRequest): Promise<number> {
    const before = baseline ?? (await fingerprint.take());
    baseline = undefined;
    const response = await send(base, toWire(request, tokens.get(caller)));
    count(request, response);
    const problems = problemsWith(checks, request, response);
    if (response.status >= 400 && response.status < 500) {
      const after = await fingerprint.take();
      const changed = changedTables(before, after);
      if (changed.length)
        problems.push(`rejected with ${response.status}, yet it changed: ${changed.join(', ')}`);
      baseline = after;
    } else if (response.status < 300 && caller !== 'anonymous' && !SAFE.has(request.method)) {
      await restartIfLockedDown();
      await keepSignedIn(caller);
    }
    if (problems.length)
      throw new Error(
        `${problems.join('\n')}\nthe response: ${response.status} ${clip(response.text, 600)}`,
      );
    return response.status;
  }

  /**
   * A coordinator's or admin's lockdown succeeded: the API wiped its keys, as it must. In file
   * custody a restart reads them back from their files; do what that restart would.
   */
  async function restartIfLockedDown(): Promise<void> {
    const ring = api.app.get(KeyRing);
    if (!ring.sealed) return;
    // The lockdown's NOTIFY reaches the API a moment after its answer: let it land on the
    // sealed ring first, or it would seal the "restarted" one in the middle of a request.
    await eventually(
      'the lockdown notification',
      async () => lockdownsHeard > lockdownsHandled,
      5_000,
      5,
    );
    lockdownsHandled = lockdownsHeard;
    await new Promise((r) => setTimeout(r, 50));
    ring.install(loadKeyMaterial(env.config));
  }

  /** A request that succeeded may have ended the caller's session (logout does): start another. */
  async function keepSignedIn(role: Role): Promise<void> {
    const me = await send(base, {
      method: 'GET',
      target: '/api/auth/me',
      headers: { authorization: `Bearer ${tokens.get(role)}` },
    });
    if (me.status === 200) {
      const roles: unknown = JSON.parse(me.text).roles;
      if (JSON.stringify(roles) !== JSON.stringify([role]))
        throw new Error(`a request changed the ${role} test user's roles to ${String(roles)}`);
      return;
    }
    // Issued directly rather than through sign-in: each TOTP code works only once.
    const user = users.get(role)!;
    tokens.set(role, (await api.app.get(SessionService).issue(user.id)).token);
  }

  function count(request: BadRequest, response: WireResponse): void {
    requestsSent += 1;
    const byStatus = sent.get(request.op.key) ?? new Map<number, number>();
    byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
    sent.set(request.op.key, byStatus);
  }

  it('the document lists the routes, and every operation documents the error body', () => {
    expect(operations.map((o) => o.key)).toEqual(
      expect.arrayContaining([
        'POST /api/auth/login',
        'GET /api/auth/me',
        'GET /api/admin/users',
        'PUT /api/admin/users/{id}/roles',
        'GET /api/health',
      ]),
    );
    for (const op of operations)
      for (const status of [400, 401, 403, 404, 409, 413, 415, 429, 500, 503]) {
        const schema = jsonSchemaOf(documentedResponse(op, status));
        expect({ op: op.key, status, schema: schema && resolveRef(doc, schema) }).toEqual({
          op: op.key,
          status,
          schema: expect.objectContaining({
            type: 'object',
            required: expect.arrayContaining(['statusCode', 'error', 'message']),
          }),
        });
      }
  });

  it('the database fingerprint sees a changed row, and ignores only what a rejected request may change on purpose', async () => {
    const before = await fingerprint.take();
    // Usernames are stored only as a keyed hash: the row is found by id.
    const [victim] = throwawayIds;
    // A failed sign-in, a session kept alive, an audited denial: not changes.
    await env.db.query(
      `INSERT INTO sign_in_throttle (name_hash, source_hash, failures, last_failure_at)
       VALUES ('\\x01', '\\x02', 1, now())`,
    );
    await env.db.query(`UPDATE sessions SET last_seen_at = now()`);
    await env.db.query(
      `INSERT INTO audit_entries (actor_id, action, outcome) VALUES (NULL, 'test.fingerprint', 'deny')`,
    );
    expect(changedTables(before, await fingerprint.take())).toEqual([]);
    // Anything else is.
    await env.db.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [victim]);
    expect(changedTables(before, await fingerprint.take())).toEqual(['users']);
    await env.db.query(`UPDATE users SET disabled_at = NULL WHERE id = $1`, [victim]);
    expect(changedTables(before, await fingerprint.take())).toEqual([]);
  });

  for (const caller of ROLES_AND_ANONYMOUS)
    it(
      `as ${caller}: no hostile request gets a 5xx, an undocumented body, an echo or a leak, and a rejected one changes nothing`,
      async () => {
        const runs = Math.max(
          MIN_RUNS_PER_OPERATION,
          Math.round(BUDGET / (operations.length * ROLES_AND_ANONYMOUS.length)),
        );
        const failures: string[] = [];
        const sentBefore = requestsSent;
        for (const op of operations) {
          const seed = seedFor(`${op.key} as ${caller}`);
          const details = await fc.check(
            fc.asyncProperty(requestArb(fuzz, op, caller), async (request) => {
              await exercise(caller, request);
            }),
            { seed, numRuns: runs },
          );
          if (details.failed)
            failures.push(
              `${op.key} as ${caller}: ${fc.defaultReportMessage(details) ?? ''}\n` +
                `What was wrong:\n${errorMessage(details.errorInstance)}\n` +
                `Replay: BAD_INPUT_SEED=${SEED} npx jest test/bad-input ` +
                `(this property: seed ${seed}, path ${details.counterexamplePath ?? '?'})`,
            );
        }
        if (failures.length) throw new Error(failures.join('\n\n'));
        expect(requestsSent - sentBefore).toBeGreaterThanOrEqual(runs * operations.length);
        // 5–8 s per role on two cores (quick mode), 9–15 s with 20 runs; CI runs it beside a
        // CPU-bound suite, where one role's share of 20 runs took over a minute.
      },
      byTestMode(300_000, 900_000),
    );

  it('every date a query documents, at the edges of the calendar, gets no 5xx, as every role', async () => {
    // 9999-12-31 as both ends of a statistics query overflowed into a 500: the fuzz above picks
    // one parameter's date at a time, so the edges are also sent together, in every date at once.
    const isDate = (format: unknown) => format === 'date' || format === 'date-time';
    const dated = operations.filter(
      (op) =>
        op.method === 'GET' &&
        !op.path.includes('{') &&
        op.parameters.some((p) => p.in === 'query' && isDate(p.schema.format)),
    );
    expect(dated.map((o) => o.key)).toEqual(
      expect.arrayContaining(['GET /api/stats', 'GET /api/rota']),
    );
    const answered: string[] = [];
    for (const op of dated)
      for (const caller of ROLES_AND_ANONYMOUS)
        for (const edge of EDGE_DATES) {
          const query = op.parameters
            .filter((p) => p.in === 'query' && isDate(p.schema.format))
            .map((p) => {
              const value = p.schema.format === 'date' ? edge : `${edge}T00:00:00.000Z`;
              return `${p.name}=${encodeURIComponent(value)}`;
            });
          const request: BadRequest = {
            op,
            method: 'GET',
            target: `${op.path}?${query.join('&')}`,
            auth: { kind: caller === 'anonymous' ? 'none' : 'bearer' },
            headers: {},
            tags: ['edge-date'],
            values: [edge],
            names: op.parameters.map((p) => p.name),
          };
          answered.push(`${op.key} ${edge} as ${caller}: ${await exercise(caller, request)}`);
        }
    expect(answered.filter((a) => /: 5\d\d$/.test(a))).toEqual([]);
  });

  it('pages outside the document (the API explorer, the web app) never echo a hostile path or query into HTML', async () => {
    const errorSchema = jsonSchemaOf(documentedResponse(operations[0], 404))!;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/docs', '/api/docs/', '/', '/index.html', '/api/docs/index.html'),
        fc.oneof(
          fc.constant(''),
          hostileString.map((s) => `/${encodePart(s)}`),
        ),
        fc.array(fc.tuple(fc.constantFrom('url', 'q', 'configUrl', 'lang'), hostileString), {
          maxLength: 3,
        }),
        async (page, suffix, query) => {
          const target =
            `${page}${suffix}` +
            (query.length ? `?${query.map(([k, v]) => `${k}=${encodePart(v)}`).join('&')}` : '');
          const response = await send(base, { method: 'GET', target, headers: {} });
          const problems = htmlEchoProblems(
            [suffix && decodeURIComponentSafe(suffix.slice(1)), ...query.map(([, v]) => v)],
            response,
          );
          if (response.status >= 500) problems.push(`status ${response.status}`);
          if (response.status >= 400 && /json/.test(String(response.headers['content-type'])))
            problems.push(
              ...errorBodyProblems(checks, errorSchema, response.status, JSON.parse(response.text)),
            );
          if (problems.length)
            throw new Error(`${problems.join('\n')}\n${response.status} ${clip(response.text)}`);
        },
      ),
      { seed: seedFor('pages'), numRuns: 100 },
    );
  });

  it('malformed HTTP that never reaches a route gets no 5xx, its errors keep the documented body, and nothing changes', async () => {
    const errorSchema = jsonSchemaOf(documentedResponse(operations[0], 400));
    expect(errorSchema).toBeDefined();
    const before = await fingerprint.take();
    const token = tokens.get('admin')!;
    const post = (headers: string, body: string) =>
      `POST /api/admin/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;
    const cases: Array<[string, string]> = [
      ['NUL in a header value', 'GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'],
      ['a header line without a colon', 'GET /api/health HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n'],
      [
        'obsolete line folding',
        'GET /api/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n abc\r\n\r\n',
      ],
      [
        'headers beyond 16 KiB',
        `GET /api/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'A'.repeat(20_000)}\r\n\r\n`,
      ],
      [
        'a request line beyond 16 KiB',
        `GET /api/health?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      ],
      [
        'Content-Length and Transfer-Encoding together',
        post('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
      ],
      ['two different Content-Lengths', post('Content-Length: 2\r\nContent-Length: 3\r\n', '{}')],
      ['a negative Content-Length', post('Content-Length: -1\r\n', '{}')],
      ['a non-numeric Content-Length', post('Content-Length: abc\r\n', '{}')],
      ['a bad chunk size', post('Transfer-Encoding: chunked\r\n', 'ZZ\r\n{}\r\n0\r\n\r\n')],
      [
        'two Transfer-Encodings',
        post('Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n', '0\r\n\r\n'),
      ],
      ['a declared body beyond the limit', post('Content-Length: 1000000\r\n', '{}')],
      ['an unknown method', 'BREW /api/health HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['an unknown HTTP version', 'GET /api/health HTTP/9.9\r\nHost: x\r\n\r\n'],
      ['no Host header', 'GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n'],
      [
        'raw UTF-8 bytes in the path',
        `POST /api/admin/users/\xd0\xb6\xff/disable HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      ],
      ['a space in the path', 'GET /api/he alth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
      ['bare LF line endings', 'GET /api/health HTTP/1.1\nHost: x\nConnection: close\n\n'],
    ];
    const problems: string[] = [];
    for (const [name, bytes] of cases) {
      const response = await sendRaw(base, Buffer.from(bytes, 'latin1'));
      const found: string[] = [];
      if (response.status >= 500 || response.status < 100) found.push(`status ${response.status}`);
      if (response.status >= 400) {
        let json: unknown;
        try {
          json = JSON.parse(response.text);
        } catch {
          found.push('the error is not JSON');
        }
        if (json !== undefined)
          found.push(...errorBodyProblems(checks, errorSchema!, response.status, json));
      }
      if (found.length)
        problems.push(
          `${name}: ${found.join('; ')} (got ${response.status} ${clip(response.text)})`,
        );
    }
    expect(problems).toEqual([]);
    expect(changedTables(before, await fingerprint.take())).toEqual([]);
  });
});

/** UUIDs of real records in any table (and by table, for primary keys), except the given. */
async function realRecordIds(
  db: DataSource,
  except: string[],
): Promise<Pick<FuzzContext, 'realIds' | 'idsByTable'>> {
  const columns: Array<{ table_name: string; column_name: string }> = await db.query(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type = 'uuid' AND table_name <> 'audit_entries'
      ORDER BY table_name, column_name`,
  );
  const all = new Set<string>();
  const idsByTable: Record<string, string[]> = {};
  for (const { table_name: table, column_name: column } of columns) {
    const rows: Array<{ id: string }> = await db.query(
      `SELECT DISTINCT "${column}"::text AS id FROM "${table}" WHERE "${column}" IS NOT NULL
        ORDER BY 1 LIMIT 20`,
    );
    const ids = rows.map((r) => r.id).filter((id) => !except.includes(id));
    ids.forEach((id) => all.add(id));
    if (column === 'id') idsByTable[table] = ids;
  }
  return { realIds: [...all].sort(), idsByTable };
}

function seedFor(name: string): number {
  let hash = SEED | 0;
  for (const ch of name) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) | 0;
  return hash;
}

function summary(sent: Map<string, Map<number, number>>): string {
  return [...sent]
    .map(
      ([op, byStatus]) =>
        `${op}: ${[...byStatus]
          .sort(([a], [b]) => a - b)
          .map(([status, n]) => `${status}×${n}`)
          .join(' ')}`,
    )
    .join('\n');
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);
