import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  runApp,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

const CANARY = 'CANARY-backup-5c1d-Соколова';

/** Every table of the public schema: its row count and a digest of its rows. */
/** Backup and restore run with the owner's credentials, as `migrate` does; the API never has them. */
function operatorEnv(env: TestEnvironment): Record<string, string> {
  return { ...env.env, DATABASE_MIGRATION_URL: env.superuserUrl };
}

async function fingerprint(url: string): Promise<Record<string, string>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT relname::text AS name FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY relname`,
    );
    const result: Record<string, string> = {};
    for (const { name } of tables) {
      const t = client.escapeIdentifier(name);
      const { rows } = await client.query<{ n: number; digest: string }>(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS digest
           FROM public.${t} AS t`,
      );
      result[name] = `${rows[0].n} rows, ${rows[0].digest}`;
    }
    return result;
  } finally {
    await client.end();
  }
}

function ageInstalled(): boolean {
  return spawnSync('age', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The restore drill: contacts logged through the API, a backup by the CLI, the database
 * wiped, the backup restored, and the same keys reading everything back.
 */
describe('encrypted backups and the restore drill', () => {
  let env: TestEnvironment;
  let api: RunningApi | undefined;
  let worker: INestApplicationContext | undefined;
  let dir: string;
  let identity: string;
  let otherIdentity: string;
  let recipient: string;
  let volunteer: TestUser;
  let lawyer: TestUser;
  let caseId: string;
  /** The source database as the backup took it. */
  let backedUp: Record<string, string>;

  beforeAll(async () => {
    if (!ageInstalled())
      throw new Error(
        'these tests need age: `sudo apt-get install -y age` (npm test installs it as root)',
      );
    dir = mkdtempSync(path.join(tmpdir(), 'mayak-backup-'));
    identity = path.join(dir, 'identity.txt');
    otherIdentity = path.join(dir, 'other-identity.txt');
    execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
    execFileSync('age-keygen', ['-o', otherIdentity], { stdio: 'ignore' });
    recipient = execFileSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).trim();
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a backup restored into a wiped database reads back with the same keys, row for row, with an intact audit chain', async () => {
    const http = new HttpClient(api!.url);
    volunteer = await createUser(api!.app, ['volunteer']);
    lawyer = await createUser(api!.app, ['lawyer']);
    const volunteerToken = await signIn(http, volunteer);
    const lawyerToken = await signIn(http, lawyer);
    await http.put(
      '/api/staff/me/availability',
      { onShift: true, capacity: 10, regions: [] },
      { token: lawyerToken },
    );
    const receipts = [];
    for (let i = 0; i < 3; i++) {
      const receipt = await http.post(
        '/api/contacts',
        contactBody({ summary: `Caller ${CANARY} number ${i} was detained` }),
        { token: volunteerToken, headers: { 'idempotency-key': `backup-drill-${i}` } },
      );
      expect(receipt.status).toBe(201);
      receipts.push(receipt.body);
    }
    caseId = receipts[0].caseIds[0];
    await eventually(
      'routing to the lawyer',
      async () => (await http.get(`/api/cases/${caseId}`, { token: lawyerToken })).status === 200,
      30_000,
    );
    expect(
      (
        await http.post(
          `/api/cases/${caseId}/notes`,
          { text: `Met ${CANARY}` },
          { token: lawyerToken },
        )
      ).status,
    ).toBe(201);
    await eventually(
      'every outbox job done',
      async () => (await env.db.query(`SELECT 1 FROM outbox WHERE status <> 'done'`)).length === 0,
      30_000,
    );
    await worker!.close();
    worker = undefined;
    await api!.close();
    api = undefined;

    // Link whatever the worker had not, so the chain's head is fixed before the backup.
    const before = await runApp('cli', ['verify-audit'], env.env);
    expect(before.stdout).toMatch(/^OK: \d+ entries verified; head entry /);
    backedUp = await fingerprint(env.env.DATABASE_URL);
    expect(backedUp.contacts).toMatch(/^3 rows/);

    const file = path.join(dir, 'drill.age');
    const backup = await runApp(
      'cli',
      ['backup', '--out', file, '--recipient', recipient],
      operatorEnv(env),
    );
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^backup written: .*drill\.age \(\d+ tables, \d+ rows, schema /);

    // What a seizure of the backup gives away: age ciphertext, and inside it only what the
    // database holds (ciphertexts and wrapped keys), never a key.
    const ciphertext = readFileSync(file);
    expect(ciphertext.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    const plaintext = execFileSync('age', ['--decrypt', '--identity', identity, file]);
    expect(plaintext.subarray(0, 13).toString()).toBe('MAYAK-BACKUP\n');
    expect(plaintext.includes('service:legal')).toBe(true); // the search below would find a plaintext
    const masterKey = Buffer.from(env.env.MASTER_KEY, 'base64');
    const callerKey = Buffer.from(env.env.CALLER_HASH_KEY, 'base64');
    for (const [what, haystack] of [
      ['the backup file', ciphertext],
      ['the decrypted backup', plaintext],
    ] as const)
      for (const needle of [
        CANARY,
        masterKey,
        env.env.MASTER_KEY,
        callerKey,
        env.env.CALLER_HASH_KEY,
      ])
        expect({
          what,
          needle: String(needle).slice(0, 8),
          found: haystack.includes(needle),
        }).toEqual({
          what,
          needle: String(needle).slice(0, 8),
          found: false,
        });

    // A restore never goes over data, and says so without a stack trace.
    const over = await runApp(
      'cli',
      ['restore', '--in', file, '--identity', identity],
      operatorEnv(env),
    );
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(
      /^restore failed: the target database is not empty \(table \w+ has rows\)/,
    );
    expect(over.stderr).not.toMatch(/\n\s+at /);

    // The wipe: the database is dropped and created again, empty.
    await env.wipe();

    const restore = await runApp(
      'cli',
      ['restore', '--in', file, '--identity', identity],
      operatorEnv(env),
    );
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/^restored: \d+ tables, \d+ rows, schema /);
    expect(await fingerprint(env.env.DATABASE_URL)).toEqual(backedUp);
    const after = await runApp('cli', ['verify-audit'], env.env);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe(before.stdout);

    // The same keys read everything back through the API.
    api = await startApi(env);
    const again = new HttpClient(api.url);
    const lawyerAgain = await signIn(again, lawyer);
    const read = await again.get(`/api/cases/${caseId}`, { token: lawyerAgain });
    expect(read.status).toBe(200);
    expect(read.body.contact.summary).toBe(`Caller ${CANARY} number 0 was detained`);
    expect(read.body.notes[0].text).toBe(`Met ${CANARY}`);
    const mine = await again.get('/api/contacts/mine', { token: await signIn(again, volunteer) });
    expect(mine.status).toBe(200);
    expect(mine.body.map((c: { summary: string }) => c.summary).sort()).toEqual(
      [0, 1, 2].map((i) => `Caller ${CANARY} number ${i} was detained`),
    );
    expect((await runApp('cli', ['verify-audit'], env.env)).code).toBe(0);
  }, 180_000);

  it('a wrong identity is refused clearly, and the right one restores into a migrated, unused database', async () => {
    const file = path.join(dir, 'drill.age');
    const target = await createTestEnvironment();
    try {
      const wrong = await runApp(
        'cli',
        ['restore', '--in', file, '--identity', otherIdentity],
        operatorEnv(target),
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toBe(
        'restore failed: the identity does not open this backup: it was encrypted to other recipients\n',
      );
      const right = await runApp(
        'cli',
        ['restore', '--in', file, '--identity', identity],
        operatorEnv(target),
      );
      expect(right.stderr).toBe('');
      expect(right.code).toBe(0);
      expect(await fingerprint(target.env.DATABASE_URL)).toEqual(backedUp);
    } finally {
      await target.dispose();
    }
  });
});
