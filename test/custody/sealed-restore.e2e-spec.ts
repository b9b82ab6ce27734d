import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { KeyRing } from '@mayak/platform';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  initCustody,
  privateDir,
  runApp,
  RunningApi,
  sealedOverrides,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

/**
 * The restore drill in production's custody: log contacts, back up, wipe, restore, unseal with
 * shares. No key was ever on disk, so the backup alone is ciphertext; the shares open it again.
 */
describe('the restore drill in sealed custody', () => {
  let env: TestEnvironment;
  let dir: string;
  let api: RunningApi | undefined;
  let worker: INestApplicationContext | undefined;

  beforeAll(async () => {
    env = await createTestEnvironment(sealedOverrides());
    dir = await privateDir('sealed-restore');
  });
  afterAll(async () => {
    await Promise.allSettled([api?.close(), worker?.close()]);
    await env?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const operator = () => ({ ...env.env, DATABASE_MIGRATION_URL: env.superuserUrl });
  const unseal = async (http: HttpClient, shares: string[]) => {
    for (const share of shares) await http.post('/api/unseal', { share });
    expect((await http.get('/api/health')).body).toMatchObject({ sealed: false });
  };
  const countRows = async () =>
    (await env.db.query(
      `SELECT (SELECT count(*) FROM contacts)::int AS contacts, (SELECT count(*) FROM cases)::int AS cases,
              (SELECT count(*) FROM audit_entries)::int AS audit`,
    )) as Array<{ contacts: number; cases: number; audit: number }>;

  it('log, back up, wipe, restore, unseal: the contacts decrypt, the chain verifies, the counts match', async () => {
    const shares = await initCustody(env);
    api = await startApi(env);
    worker = await startWorker(env);
    let http = new HttpClient(api.url);
    await unseal(http, [shares[0], shares[1]]);
    await eventually('the worker to unseal', async () => !worker!.get(KeyRing).sealed, 2_000, 10);
    const volunteer = await createUser(api.app, ['volunteer']);
    const token = await signIn(http, volunteer);
    for (let i = 0; i < 3; i++)
      expect(
        (
          await http.post('/api/contacts', contactBody({ summary: `sealed drill ${i}` }), {
            token,
            headers: { 'idempotency-key': `sealed-drill-${i}` },
          })
        ).status,
      ).toBe(201);
    await eventually(
      'the outbox and the audit chain to settle',
      async () =>
        (
          await env.db.query(
            `SELECT 1 FROM outbox WHERE status <> 'done' UNION ALL SELECT 1 FROM audit_unlinked`,
          )
        ).length === 0,
      30_000,
      50,
    );
    const [before] = await countRows();
    expect(before.contacts).toBe(3);

    const identity = path.join(dir, 'holder.identity');
    execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).trim();
    const file = path.join(dir, 'drill.age');
    const backup = await runApp(
      'cli',
      ['backup', '--out', file, '--recipient', recipient],
      operator(),
    );
    expect(backup.code).toBe(0);

    // Everything stops; the database is wiped.
    await Promise.all([api.close(), worker.close()]);
    api = worker = undefined;
    await env.wipe();
    // The keystore export was written beside the backup; without it the data keys, wrapped
    // by a random master key kept only in the keystore, would not open.
    const withoutKeystore = await runApp(
      'cli',
      ['restore', '--in', file, '--identity', identity],
      operator(),
    );
    expect(withoutKeystore.stderr).toMatch(/needs the keystore export/);
    expect(withoutKeystore.code).not.toBe(0);
    const restore = await runApp(
      'cli',
      [
        'restore',
        '--in',
        file,
        '--identity',
        identity,
        '--keystore',
        path.join(dir, 'keystore.age'),
      ],
      operator(),
    );
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const [after] = await countRows();
    expect(after).toEqual(before);

    // Started again, sealed; two other holders unseal it.
    api = await startApi(env);
    http = new HttpClient(api.url);
    expect((await http.get('/api/health')).body).toMatchObject({ sealed: true });
    await unseal(http, [shares[2], shares[0]]);
    const mine = await http.get('/api/contacts/mine', { token: await signIn(http, volunteer) });
    expect(mine.status).toBe(200);
    expect(mine.body.map((c: { summary: string }) => c.summary).sort()).toEqual([
      'sealed drill 0',
      'sealed drill 1',
      'sealed drill 2',
    ]);
    const verified = await runApp('cli', ['verify-audit'], env.env);
    expect(verified.stdout).toMatch(/^OK: \d+ entries verified/);
    expect(verified.code).toBe(0);
  }, 180_000);
});
