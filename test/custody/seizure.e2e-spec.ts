import { spawnSync } from 'node:child_process';
import { createHmac, createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { normaliseIdentifier } from '@mayak/platform';
import { freePort } from '@mayak/platform/embedded';
import { totpCode } from '@mayak/identity';
import { Client } from 'pg';
import {
  contactBody,
  eventually,
  exited,
  HttpClient,
  initCustody,
  privateDir,
  custodyKeys,
  readKeystore,
  runApp,
  spawnApp,
} from '@mayak/testing';

/**
 * The seizure of a switched-off server, as the police would do it: Mayak ran on its embedded
 * stack (`npm start`) in sealed custody, took calls, was backed up, and was shut down. The
 * attacker takes the whole data folder (PostgreSQL's files and WAL, its log, Redis's
 * append-only file, the key folder), a database dump, every log line the processes wrote and
 * the backup, but no key holder's share. From all of it they must get no canary, no byte of
 * any key, and no way to test a phone number against the caller hashes.
 *
 * The same seizure of a server in file custody is the control: there the attacker's search
 * must find the keys and match the phone numbers, or the attacker would prove nothing.
 */
describe.each(['sealed', 'file'] as const)('a seized server in %s custody', (custody) => {
  const canary = `CANARY${randomBytes(6).toString('hex')}`;
  const phones = Array.from({ length: 3 }, (_, i) => `+7912${String(1_000_000 + i * 7919)}`);
  let dir: string;
  let dataDir: string;
  let seized: string[];
  /** One pass over every seized file for every secret, canary and control value. */
  let found: Array<{ file: string; secret: string }>;
  let keys: Record<string, Buffer>;
  let holderShares: string[] = [];
  let callerKey: Buffer;
  let callerHashes: Buffer[];

  beforeAll(async () => {
    dir = await privateDir('seizure');
    await fs.chmod(dir, 0o755);
    dataDir = path.join(dir, 'var');
    await fs.mkdir(path.join(dir, 'seized'));
    const port = await freePort();
    // Only `npm start` is told the custody mode: the commands after it must find it out from
    // the data folder, as an operator's would, rather than mint key files beside the data.
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'info',
    };
    const http = new HttpClient(`http://127.0.0.1:${port}`);
    const start = spawnApp('cli', ['start'], { ...env, KEY_CUSTODY: custody });
    try {
      await eventually(
        'npm start',
        async () => (await http.get('/api/health')).status === 200,
        90_000,
        200,
      );
      if (custody === 'sealed') {
        const shares = await initCustody({ env });
        const unseal = await runApp(
          'cli',
          ['unseal', '--url', http.baseUrl],
          env,
          `${shares[0]}\n${shares[2]}\n`,
        );
        expect(unseal.code).toBe(0);
        holderShares = shares;
      } else {
        const keyDir = path.join(dataDir, 'keys');
        const master = Buffer.from(
          (await fs.readFile(path.join(keyDir, 'master.key'), 'utf8')).trim(),
          'base64',
        );
        keys = {
          'master:0': master,
          'caller:0': Buffer.from(
            (await fs.readFile(path.join(keyDir, 'caller-hash.key'), 'utf8')).trim(),
            'base64',
          ),
        };
      }
      const user = await runApp(
        'cli',
        ['create-user', '--username', 'olga', '--roles', 'volunteer', '--password-stdin'],
        env,
        'olga: a long enough password\n',
      );
      expect(user.code).toBe(0);
      // A unique violation: PostgreSQL's own log would name the value in its DETAIL line.
      const again = await runApp(
        'cli',
        ['create-user', '--username', 'olga', '--roles', 'volunteer', '--password-stdin'],
        env,
        'olga: another long password\n',
      );
      expect(again.code).toBe(1);
      const totpSecret = (JSON.parse(user.stdout) as { totpSecret: string }).totpSecret;
      const login = await http.post<{ token: string }>('/api/auth/login', {
        username: 'olga',
        password: 'olga: a long enough password',
        totp: totpCode(totpSecret),
      });
      expect(login.status).toBe(200);
      for (const [i, phone] of phones.entries()) {
        const saved = await http.post(
          '/api/contacts',
          contactBody({
            summary: `${canary} summary ${i}`,
            caller: { ...contactBody().caller, pseudonym: `${canary}p${i}`, identifier: phone },
            consent: {
              ...contactBody().consent,
              contactBack: { channel: 'phone', safeTimes: `${canary} after 9 pm ${i}` },
            },
          }),
          { token: login.body.token, headers: { 'idempotency-key': `seizure-${i}` } },
        );
        expect(saved.status).toBe(201);
      }
      // A backup, as the helpline keeps them: encrypted to a key holder's age key, which the
      // attacker does not have.
      const identity = path.join(dir, 'holder.age-identity');
      spawnSync('age-keygen', ['-o', identity]);
      const recipient = spawnSync('age-keygen', ['-y', identity]).stdout.toString().trim();
      const backup = await runApp(
        'cli',
        ['backup', '--out', path.join(dir, 'seized', 'backup.age'), '--recipient', recipient],
        env,
      );
      expect(backup.code).toBe(0);
      await fs.rm(identity);

      // A dump of every table, as a superuser (the embedded owner) would take it.
      const owner = (
        await fs.readFile(path.join(dataDir, 'keys', 'postgres.password'), 'utf8')
      ).trim();
      const pgPort = (
        await fs.readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')
      ).split('\n')[3];
      const db = new Client({
        host: '127.0.0.1',
        port: Number(pgPort),
        user: 'mayak',
        password: owner,
        database: 'mayak',
      });
      await db.connect();
      try {
        const tables = await db.query<{ tablename: string }>(
          `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
        );
        const dump: Record<string, unknown[]> = {};
        for (const { tablename } of tables.rows)
          dump[tablename] = (
            await db.query(`SELECT * FROM ${db.escapeIdentifier(tablename)}`)
          ).rows;
        await fs.writeFile(path.join(dir, 'seized', 'dump.json'), JSON.stringify(dump));
        callerHashes = (
          await db.query<{ identifier_hash: Buffer }>(`SELECT identifier_hash FROM callers`)
        ).rows.map((r) => r.identifier_hash);
        // Every key the shares open, the keystore's generations included (the test holds
        // the shares; the attacker does not).
        if (custody === 'sealed') {
          const opened = await custodyKeys(holderShares, await readKeystore(db));
          keys = opened.named;
          callerKey = opened.material.caller.at(-1)!.key;
        } else callerKey = keys['caller:0'];
      } finally {
        await db.end();
      }
    } finally {
      start.kill('SIGTERM');
      await exited(start);
      await fs.writeFile(path.join(dir, 'seized', 'processes.log'), start.output());
    }
    seized = [...(await filesUnder(dataDir)), ...(await filesUnder(path.join(dir, 'seized')))];
    const scanStarted = Date.now();
    found = await findInFiles(
      seized,
      forms({
        ...keys,
        canary: Buffer.from(canary),
        schema: Buffer.from('KeyCustody1764300000000'),
      }),
    );
    const sizes = await Promise.all(seized.map((file) => fs.stat(file)));
    const mib = sizes.reduce((n, stat) => n + stat.size, 0) / 2 ** 20;
    process.stdout.write(
      `seizure (${custody} custody): ${seized.length} files, ${mib.toFixed(0)} MiB searched in ${((Date.now() - scanStarted) / 1000).toFixed(1)} s\n`,
    );
  }, 420_000);

  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("PostgreSQL's log holds no value: a duplicate username leaves no trace of the name", async () => {
    const log = await fs.readFile(path.join(dataDir, 'postgres', 'server.log'), 'utf8');
    expect(log).toMatch(/duplicate key value violates unique constraint/);
    expect(log).not.toMatch(/olga/);
  });

  it('the seizure holds the database files, WAL, logs, Redis, a dump and a backup', () => {
    const names = seized.map((f) => path.relative(dir, f));
    for (const expected of [
      /postgres\/pg_wal\//,
      /postgres\/server\.log$/,
      /redis\//,
      /dump\.json$/,
      /backup\.age$/,
      /processes\.log$/,
    ])
      expect(names.some((n) => expected.test(n))).toBe(true);
    expect(callerHashes).toHaveLength(phones.length);
  });

  if (custody === 'sealed') {
    it('no key file was written beside the data, by npm start or by any command after it', async () => {
      expect((await fs.readdir(path.join(dataDir, 'keys'))).sort()).toEqual(
        ['node.credential', 'postgres-app.password', 'postgres.password', 'redis.password'].sort(),
      );
    });

    it('no file holds a canary, in any of the forms a search would try', async () => {
      expect(found.filter((f) => f.secret === 'canary')).toEqual([]);
      // The control: the same search does find what is stored in the clear.
      expect(found.filter((f) => f.secret === 'schema')).not.toEqual([]);
    });

    it('no file holds a byte sequence of the root secret or of any key derived from it', async () => {
      expect(found.filter((f) => f.secret in keys)).toEqual([]);
    });

    it('no key the attacker can find or guess tests a phone number against the caller hashes', async () => {
      expect(await recognisedPhones(seized, callerHashes, phones)).toEqual([]);
      // The control: with the real key, the same test recognises every caller.
      const withKey = phones.filter((phone) =>
        callerHashes.some((h) => h.equals(callerHash(callerKey, phone))),
      );
      expect(withKey).toEqual(phones);
    }, 180_000);
  } else {
    it('the control: in file custody the same search finds the keys and every phone number', async () => {
      expect(found.filter((f) => f.secret in keys).map((f) => f.secret)).toEqual(
        expect.arrayContaining(['master:0', 'caller:0']),
      );
      expect(await recognisedPhones(seized, callerHashes, phones)).toEqual(phones);
    }, 180_000);
  }
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Each secret as raw bytes, base64, base64url and hex (lower and upper case). */
function forms(secrets: Record<string, Buffer>): Array<{ secret: string; bytes: Buffer }> {
  return Object.entries(secrets).flatMap(([secret, bytes]) =>
    [
      bytes,
      ...(['base64', 'base64url', 'hex'] as const).map((e) => Buffer.from(bytes.toString(e))),
      Buffer.from(bytes.toString('hex').toUpperCase()),
    ].map((b) => ({ secret, bytes: b })),
  );
}

async function findInFiles(files: string[], needles: Array<{ secret: string; bytes: Buffer }>) {
  const overlap = Math.max(...needles.map((n) => n.bytes.length));
  const found: Array<{ file: string; secret: string }> = [];
  for (const file of files) {
    let tail = Buffer.alloc(0);
    const hits = new Set<string>();
    for await (const chunk of createReadStream(file, { highWaterMark: 16 << 20 })) {
      const window = Buffer.concat([tail, chunk as Buffer]);
      for (const n of needles) if (window.includes(n.bytes)) hits.add(n.secret);
      tail = window.subarray(Math.max(0, window.length - overlap));
    }
    for (const secret of hits) found.push({ file: path.basename(file), secret });
  }
  return found;
}

function callerHash(key: Buffer, phone: string): Buffer {
  return createHmac('sha256', key)
    .update('mayak:caller:v1\u001f')
    .update(normaliseIdentifier(phone))
    .digest();
}

/**
 * The attacker's best try at the keyed hash without a share: every key-like value in the
 * seized files (every 32-byte value spelt in base64 or hex, every 32-byte file or aligned
 * window of a small file), and the unkeyed hashes, against each phone number.
 */
async function recognisedPhones(
  files: string[],
  hashes: Buffer[],
  phones: string[],
): Promise<string[]> {
  const candidates = new Map<string, Buffer>();
  const add = (b: Buffer) => b.length === 32 && candidates.set(b.toString('hex'), b);
  for (const file of files) {
    const stat = await fs.stat(file);
    if (stat.size > 4 << 20) continue;
    const content = await fs.readFile(file);
    const text = content.toString('latin1');
    for (const m of text.matchAll(/[A-Za-z0-9+/_-]{43}=?/g))
      add(Buffer.from(m[0], m[0].includes('-') || m[0].includes('_') ? 'base64url' : 'base64'));
    for (const m of text.matchAll(/[0-9a-fA-F]{64}/g)) add(Buffer.from(m[0], 'hex'));
    if (stat.size <= 64 << 10)
      for (let i = 0; i + 32 <= content.length; i += 8) add(content.subarray(i, i + 32));
  }
  const guesses = (phone: string) => [
    createHash('sha256').update(normaliseIdentifier(phone)).digest(),
    createHash('sha256')
      .update(`mayak:caller:v1\u001f${normaliseIdentifier(phone)}`)
      .digest(),
    ...[...candidates.values()].map((key) => callerHash(key, phone)),
  ];
  return phones.filter((phone) => guesses(phone).some((g) => hashes.some((h) => h.equals(g))));
}
