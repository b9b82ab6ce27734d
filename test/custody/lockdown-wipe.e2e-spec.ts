import { promises as fs } from 'node:fs';
import { totpCode } from '@mayak/identity';
import {
  contactBody,
  createTestEnvironment,
  eventually,
  exited,
  HttpClient,
  initCustody,
  listeningApi,
  memoryOf,
  memoryReader,
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
 * Which of the secrets a live process's memory holds, as raw bytes or base64: its core dump
 * (gcore, from Debian's gdb) with `TEST_FULL=1`, else its pages read in place, which hold the
 * same bytes (libs/testing's process-memory). Read in pieces, never whole.
 */
async function secretsInMemoryOf(pid: number, dir: string, secrets: Named): Promise<string[]> {
  const needles = Object.entries(secrets).flatMap(([name, bytes]) => [
    { name, bytes },
    { name, bytes: Buffer.from(bytes.toString('base64'), 'latin1') },
  ]);
  const overlap = Math.max(...needles.map((n) => n.bytes.length)) - 1;
  const found = new Set<string>();
  const search = (window: Buffer) => {
    for (const needle of needles) if (window.includes(needle.bytes)) found.add(needle.name);
  };
  const zeros = Buffer.alloc(16 << 20);
  let tail: Buffer = Buffer.alloc(0);
  for await (const { bytes, contiguous } of memoryOf(pid, memoryReader(), dir)) {
    if (!contiguous) tail = Buffer.alloc(0);
    // Most of a core is reserved memory never touched: zeros, where no key can be. Only the
    // seams with its neighbours are searched there (a key could begin or end in zeros).
    if (bytes.length <= zeros.length && bytes.equals(zeros.subarray(0, bytes.length))) {
      search(Buffer.concat([tail, bytes.subarray(0, overlap)]));
      tail = bytes.subarray(Math.max(0, bytes.length - overlap));
      continue;
    }
    const window = Buffer.concat([tail, bytes]);
    search(window);
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  return [...found].sort();
}

/**
 * The attacker who seizes a running server after a lockdown: the memory of the API and of the
 * worker (a core dump of each in the full mode) must hold neither the root secret nor any key
 * derived from it. As a control both are read the same way before the lockdown, where the
 * keys must be found: a reader that finds nothing anywhere would prove nothing.
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

  it(
    'after lockdown, the memory of the API and of the worker holds no key',
    async () => {
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
                  (SELECT count(*) FROM audit_unlinked)::text AS unlinked`,
          );
          return row.open === '0' && row.unlinked === '0';
        },
        60_000,
        100,
      );

      expect({
        api: await secretsInMemoryOf(api.pid!, dir, secrets),
        worker: await secretsInMemoryOf(worker.pid!, dir, secrets),
      }).toEqual({
        api: expect.arrayContaining(['root']),
        worker: expect.arrayContaining(['root']),
      });

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

      expect({ api: await secretsInMemoryOf(api.pid!, dir, secrets) }).toEqual({ api: [] });
      expect({ worker: await secretsInMemoryOf(worker.pid!, dir, secrets) }).toEqual({
        worker: [],
      });

      api.kill('SIGTERM');
      worker.kill('SIGTERM');
      await Promise.all([exited(api), exited(worker)]);
      api = worker = undefined;
      // Four gcore dumps of 13 GB take over a minute and a half each on two busy cores.
    },
    memoryReader() === 'gcore' ? 1_200_000 : 180_000,
  );
});
