import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { run } from '@mayak/platform/embedded/processes';
import { totpCode } from '@mayak/identity';
import {
  contactBody,
  createTestEnvironment,
  eventually,
  exited,
  HttpClient,
  initCustody,
  listeningApi,
  privateDir,
  custodyKeys,
  readKeystore,
  runApp,
  sealedOverrides,
  spawnApp,
  TestEnvironment,
} from '@mayak/testing';

type Named = Record<string, Buffer>;

/**
 * Which of the secrets a core dump of a live process (gcore, from Debian's gdb) holds, as raw
 * bytes or base64. A Node process's core is some 13 GB, nearly all of it reserved and never
 * touched, so it is read in pieces, never whole, and removed at once.
 */
async function secretsInCoreOf(pid: number, dir: string, secrets: Named): Promise<string[]> {
  const prefix = path.join(dir, 'core');
  await run('gcore', ['-o', prefix, String(pid)]);
  const file = `${prefix}.${pid}`;
  const needles = Object.entries(secrets).flatMap(([name, bytes]) => [
    { name, bytes },
    { name, bytes: Buffer.from(bytes.toString('base64'), 'latin1') },
  ]);
  const overlap = Math.max(...needles.map((n) => n.bytes.length)) - 1;
  const found = new Set<string>();
  const search = (window: Buffer) => {
    for (const needle of needles) if (window.includes(needle.bytes)) found.add(needle.name);
  };
  const chunkSize = 16 << 20;
  const zeros = Buffer.alloc(chunkSize);
  try {
    let tail: Buffer = Buffer.alloc(0);
    for await (const chunk of createReadStream(file, {
      highWaterMark: chunkSize,
    }) as AsyncIterable<Buffer>) {
      // Most of the core is reserved memory never touched: zeros, where no key can be. Only
      // the seams with its neighbours are searched there (a key could begin or end in zeros).
      if (chunk.equals(zeros.subarray(0, chunk.length))) {
        search(Buffer.concat([tail, chunk.subarray(0, overlap)]));
        tail = chunk.subarray(Math.max(0, chunk.length - overlap));
        continue;
      }
      const window = Buffer.concat([tail, chunk]);
      search(window);
      tail = window.subarray(Math.max(0, window.length - overlap));
    }
  } finally {
    await fs.rm(file, { force: true });
  }
  return [...found].sort();
}

/**
 * The attacker who seizes a running server after a lockdown: a core dump of the API and of
 * the worker must hold neither the root secret nor any key derived from it. As a control the
 * same dump is taken before the lockdown, where the keys must be found: a scan that finds
 * nothing anywhere would prove nothing.
 */
describe('lockdown wipes the keys from memory', () => {
  let env: TestEnvironment;
  let dir: string;
  let api: ReturnType<typeof spawnApp> | undefined;
  let worker: ReturnType<typeof spawnApp> | undefined;

  beforeAll(async () => {
    env = await createTestEnvironment(sealedOverrides());
    dir = await privateDir('cores');
  });
  afterAll(async () => {
    api?.kill('SIGKILL');
    worker?.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
    await env?.dispose();
  });

  it('after lockdown, core dumps of the API and the worker hold no key', async () => {
    const shares = await initCustody(env);
    // Every key the shares open: the root, the keys derived from it, and the keystore's
    // generations (the master and caller keys are random generations kept there).
    const secrets: Named = (await custodyKeys(shares.slice(0, 2), await readKeystore(env.db)))
      .named;

    worker = spawnApp('worker', [], env.env);
    let http: HttpClient;
    ({ api, http } = await listeningApi(env));
    expect((await http.get('/api/health')).body).toMatchObject({ sealed: true });

    const unseal = await runApp(
      'cli',
      ['unseal', '--url', http.baseUrl],
      env.env,
      `${shares[1]}\n${shares[2]}\n`,
    );
    expect(unseal.stdout).toBe('unsealed\n');
    expect(unseal.code).toBe(0);

    // Work that puts every key to use in both processes: accounts (envelope encryption, from
    // a command-line process that takes the keys from its peers), a contact with a phone
    // number (caller hash), routing and audit chaining (worker).
    const created = await runApp(
      'cli',
      ['create-user', '--username', 'vera', '--roles', 'volunteer', '--password-stdin'],
      env.env,
      'correct horse battery staple\n',
    );
    expect(created.code).toBe(0);
    const { totpSecret } = JSON.parse(created.stdout) as { totpSecret: string };
    const login = await http.post<{ token: string }>('/api/auth/login', {
      username: 'vera',
      password: 'correct horse battery staple',
      totp: totpCode(totpSecret),
    });
    expect(login.status).toBe(200);
    const saved = await http.post('/api/contacts', contactBody({ services: ['legal'] }), {
      token: login.body.token,
      headers: { 'idempotency-key': 'wipe-test-1' },
    });
    expect(saved.status).toBe(201);
    await eventually(
      'the worker to route the case and link the audit chain',
      async () => {
        const [row]: Array<{ open: string; unlinked: string }> = await env.db.query(
          `SELECT (SELECT count(*) FROM outbox WHERE status <> 'done')::text AS open,
                  (SELECT count(*) FROM audit_entries WHERE chain_pos IS NULL)::text AS unlinked`,
        );
        return row.open === '0' && row.unlinked === '0';
      },
      60_000,
      100,
    );

    const before = await secretsInCoreOf(api.pid!, dir, secrets);
    expect(before).toContain('root');

    const lockdown = await runApp('cli', ['lockdown'], env.env);
    expect(lockdown.code).toBe(0);
    const started = performance.now();
    await eventually(
      'the API to seal',
      async () => (await http.get('/api/health')).body?.sealed === true,
      1_000,
      5,
    );
    process.stdout.write(
      `custody: API sealed ${(performance.now() - started).toFixed(0)} ms after the lockdown command returned\n`,
    );
    await new Promise((r) => setTimeout(r, 500));

    expect({ api: await secretsInCoreOf(api.pid!, dir, secrets) }).toEqual({ api: [] });
    expect({ worker: await secretsInCoreOf(worker.pid!, dir, secrets) }).toEqual({ worker: [] });

    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    await Promise.all([exited(api), exited(worker)]);
    api = worker = undefined;
  }, 420_000);
});
