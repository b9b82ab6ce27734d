import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { CUSTODY_CHANNEL } from '@mayak/custody';
import { KeyRing } from '@mayak/platform';
import { Client } from 'pg';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  initCustody,
  openEventStream,
  runApp,
  runCustodyInit,
  RunningApi,
  sealedOverrides,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

const sealedOf = (app: INestApplicationContext) => app.get(KeyRing).sealed;

describe('sealed key custody', () => {
  let env: TestEnvironment;
  let shares: string[];
  let apiA: RunningApi;
  let apiB: RunningApi;
  let worker: INestApplicationContext;
  let worker2: INestApplicationContext;
  let a: HttpClient;
  let b: HttpClient;

  beforeAll(async () => {
    env = await createTestEnvironment(sealedOverrides());
    shares = await initCustody(env);
    [apiA, apiB] = await Promise.all([startApi(env), startApi(env)]);
    [worker, worker2] = await Promise.all([startWorker(env), startWorker(env)]);
    a = new HttpClient(apiA.url);
    b = new HttpClient(apiB.url);
  });
  afterAll(async () => {
    await Promise.allSettled([apiA?.close(), apiB?.close(), worker?.close(), worker2?.close()]);
    await env?.dispose();
  });

  it('the database keeps a check value and nothing a share or the root could come from', async () => {
    const rows: Array<Record<string, unknown>> = await env.db.query(`SELECT * FROM key_custody`);
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]).sort()).toEqual(
      [
        'check_value',
        'created_at',
        'custody_id',
        'holders',
        'id',
        'locked_down_at',
        'lockdown_epoch',
        'pin',
        'threshold',
      ].sort(),
    );
    expect(shares).toHaveLength(3);
    expect(new Set(shares).size).toBe(3);
  });

  it('a second custody init is refused: it would orphan every record', async () => {
    const again = await runCustodyInit(env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already set up/);
  });

  it('sealed, every API route but health and unsealing answers 503 sealed; the UI still loads', async () => {
    const health = await a.get('/api/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ sealed: true, custody: 'sealed' });
    for (const [method, path] of [
      ['GET', '/api/cases'],
      ['POST', '/api/auth/login'],
      ['POST', '/api/contacts'],
      ['GET', '/api/stats'],
      ['GET', '/api/docs/openapi.json'],
      ['POST', '/api/lockdown'],
    ] as const) {
      const response = await a.request(method, path, method === 'POST' ? {} : undefined);
      expect({ path, status: response.status, error: response.body?.error }).toEqual({
        path,
        status: 503,
        error: 'sealed',
      });
    }
    expect((await a.get('/api/unseal')).body).toMatchObject({
      sealed: true,
      progress: 0,
      threshold: 2,
      initialised: true,
    });
    const page = await fetch(`${apiA.url}/`);
    expect(page.status).toBe(200);
  });

  it('a mistyped share or a share of another setup is refused with a clear 400, and audited', async () => {
    const typo = shares[0].slice(0, 30) + (shares[0][30] === 'A' ? 'B' : 'A') + shares[0].slice(31);
    const mistyped = await a.post('/api/unseal', { share: typo });
    expect(mistyped.status).toBe(400);
    expect(mistyped.body).toMatchObject({ error: 'malformed_share' });
    expect(mistyped.body.message).toMatch(/mistyped/);
    const other = await createTestEnvironment(sealedOverrides());
    try {
      const foreign = (await initCustody(other))[0];
      const refused = await a.post('/api/unseal', { share: foreign });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: 'foreign_share' });
    } finally {
      await other.dispose();
    }
    const garbage = await a.post('/api/unseal', { share: 42 });
    expect(garbage.status).toBe(400);
    expect((await a.get('/api/unseal')).body).toMatchObject({ sealed: true, progress: 0 });
  });

  it('a custody record swapped in by someone who can only write to the database is refused', async () => {
    // Their own root, split into their own shares, with its check value: without the node
    // credential they cannot pin it, so no process will adopt keys they know.
    const [original] = await env.db.query(`SELECT check_value, custody_id, pin FROM key_custody`);
    const attacker = await createTestEnvironment(sealedOverrides());
    try {
      const theirShares = await initCustody(attacker);
      const [theirs] = await attacker.db.query(
        `SELECT check_value, custody_id, pin FROM key_custody`,
      );
      await env.db.query(`UPDATE key_custody SET check_value = $1, custody_id = $2, pin = $3`, [
        theirs.check_value,
        theirs.custody_id,
        theirs.pin,
      ]);
      const refused = await a.post('/api/unseal', { share: theirShares[0] });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'custody_record_tampered' });
      expect(sealedOf(apiA.app)).toBe(true);
    } finally {
      await env.db.query(`UPDATE key_custody SET check_value = $1, custody_id = $2, pin = $3`, [
        original.check_value,
        original.custody_id,
        original.pin,
      ]);
      await attacker.dispose();
    }
  });

  it('k shares on one API unseal every process within 2 s, with no share entered twice', async () => {
    const first = await a.post('/api/unseal', { share: shares[2] });
    expect(first.body).toMatchObject({ sealed: true, progress: 1, threshold: 2 });
    const again = await a.post('/api/unseal', { share: shares[2] });
    expect(again.body).toMatchObject({ sealed: true, progress: 1 });
    const started = performance.now();
    const last = await a.post('/api/unseal', { share: shares[0] });
    expect(last.body).toMatchObject({ sealed: false });
    await eventually(
      'every process to unseal',
      async () => !sealedOf(apiB.app) && !sealedOf(worker) && !sealedOf(worker2),
      2_000,
      10,
    );
    const ms = performance.now() - started;
    process.stdout.write(
      `custody: 2 APIs + 2 workers unsealed ${ms.toFixed(0)} ms after the k-th share\n`,
    );
    expect((await b.get('/api/health')).body).toMatchObject({ sealed: false });
  });

  it('every share submission is audited, and the audit trail holds no share', async () => {
    const rows: Array<{ action: string; outcome: string; reason: string }> = await env.db.query(
      `SELECT action, outcome, reason FROM audit_entries WHERE action LIKE 'custody.%' ORDER BY seq`,
    );
    expect(rows.map((r) => `${r.action}:${r.outcome}:${r.reason}`)).toEqual([
      'custody.init:success:2_of_3',
      'custody.unseal.web:failure:malformed_share',
      'custody.unseal.web:failure:foreign_share',
      'custody.unseal.web:failure:custody_record_tampered',
      'custody.unseal.web:success:share_accepted',
      'custody.unseal.web:success:duplicate_share',
      'custody.unseal.web:success:share_accepted',
      'custody.unseal.web:success:unsealed',
    ]);
    const dump = JSON.stringify(await env.db.query(`SELECT * FROM audit_entries`));
    for (const share of shares) expect(dump).not.toContain(share.split('-')[3].slice(0, 16));
  });

  it('a process started later takes the secret from an unsealed peer, without shares', async () => {
    const late = await startApi(env);
    try {
      await eventually('the late API to unseal', async () => !sealedOf(late.app), 2_000, 10);
    } finally {
      await late.close();
    }
  });

  it('a request that cannot prove the node credential gets no answer', async () => {
    const listener = new Client({ connectionString: env.env.DATABASE_URL });
    const heard: string[] = [];
    await listener.connect();
    try {
      await listener.query(`LISTEN ${CUSTODY_CHANNEL}`);
      listener.on('notification', (m) => heard.push(m.payload ?? ''));
      const { publicKey } = generateKeyPairSync('x25519');
      const pub = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
      const ts = Date.now();
      const forged = createHmac('sha256', randomBytes(32))
        .update(`mayak:peer:v1|request|attacker|0|${pub}|${ts}`)
        .digest('base64');
      await listener.query(`SELECT pg_notify($1, $2)`, [
        CUSTODY_CHANNEL,
        JSON.stringify({ t: 'request', node: 'attacker', epoch: 0, pub, ts, mac: forged }),
      ]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(heard.filter((p) => p.includes('"grant"'))).toEqual([]);
    } finally {
      await listener.end();
    }
  });

  it('a volunteer cannot lock down; a coordinator can, and every process seals within 1 s', async () => {
    const volunteer = await createUser(apiA.app, ['volunteer']);
    const coordinator = await createUser(apiA.app, ['coordinator']);
    const volunteerToken = await signIn(a, volunteer);
    const token = await signIn(a, coordinator);
    expect((await a.post('/api/lockdown', {}, { token: volunteerToken })).status).toBe(403);
    const stream = await openEventStream(`${apiB.url}/api/notifications/stream`, token);
    const started = performance.now();
    const response = await a.post('/api/lockdown', {}, { token });
    expect(response.status).toBe(202);
    await eventually(
      'every process to seal',
      async () => sealedOf(apiA.app) && sealedOf(apiB.app) && sealedOf(worker) && sealedOf(worker2),
      1_000,
      5,
    );
    const ms = performance.now() - started;
    process.stdout.write(`custody: lockdown sealed 2 APIs + 2 workers in ${ms.toFixed(0)} ms\n`);
    await Promise.race([
      stream.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream still open')), 1_000)),
    ]);
    expect(await env.db.query(`SELECT 1 FROM sessions`)).toEqual([]);
    const after = await b.get('/api/cases', { token });
    expect(after.status).toBe(503);
    const audit: unknown[] = await env.db.query(
      `SELECT 1 FROM audit_entries WHERE action = 'custody.lockdown' AND actor_id = $1 AND reason = 'web'`,
      [coordinator.id],
    );
    expect(audit).toHaveLength(1);
  });

  it('after a lockdown only k shares unseal again, and sessions from before stay dead', async () => {
    const status = await b.get('/api/unseal');
    expect(status.body).toMatchObject({ sealed: true, progress: 0 });
    await b.post('/api/unseal', { share: shares[1] });
    const done = await b.post('/api/unseal', { share: shares[2] });
    expect(done.body).toMatchObject({ sealed: false });
    await eventually(
      'every process to unseal',
      async () => !sealedOf(apiA.app) && !sealedOf(worker),
      2_000,
      10,
    );
  });

  it('jobs wait in the outbox while sealed, and run once unsealed', async () => {
    const volunteer = await createUser(apiA.app, ['volunteer']);
    const token = await signIn(a, volunteer);
    await Promise.all([worker.close(), worker2.close()]);
    const saved = await a.post('/api/contacts', contactBody({ services: ['legal'] }), {
      token,
      headers: { 'idempotency-key': `sealed-${randomBytes(4).toString('hex')}` },
    });
    expect(saved.status).toBe(201);
    const lockdown = await runApp('cli', ['lockdown'], env.env);
    expect(lockdown.code).toBe(0);
    await eventually(
      'the APIs to seal',
      async () => sealedOf(apiA.app) && sealedOf(apiB.app),
      1_000,
      5,
    );
    [worker, worker2] = await Promise.all([startWorker(env), startWorker(env)]);
    await new Promise((r) => setTimeout(r, 1_000));
    // The case's jobs (here its routing) travel sealed on the shared queue 'cases'.
    const pending: Array<{ status: string }> = await env.db.query(
      `SELECT status FROM outbox WHERE queue = 'cases'`,
    );
    expect(pending.map((r) => r.status)).toContain('pending');
    const cases: Array<{ status: string }> = await env.db.query(`SELECT status FROM cases`);
    expect(cases.every((c) => c.status === 'queued')).toBe(true);
    await a.post('/api/unseal', { share: shares[0] });
    await a.post('/api/unseal', { share: shares[1] });
    await eventually(
      'the routing job to run after unsealing',
      async () => {
        // A finished job deletes its row (older done rows aside).
        const rows: Array<{ status: string }> = await env.db.query(
          `SELECT status FROM outbox WHERE queue = 'cases' AND status <> 'done'`,
        );
        return rows.length === 0;
      },
      30_000,
      50,
    );
  });
});
