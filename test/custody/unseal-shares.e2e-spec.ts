import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  createTestEnvironment,
  HttpClient,
  initCustody,
  privateDir,
  runCustodyInit,
  RunningApi,
  sealedOverrides,
  startApi,
  TestEnvironment,
} from '@mayak/testing';

describe('key holders’ shares', () => {
  const running: Array<{ env: TestEnvironment; api?: RunningApi }> = [];
  let dir: string;

  beforeAll(async () => {
    dir = await privateDir('shares');
  });
  afterAll(async () => {
    for (const { env, api } of running) {
      await api?.close();
      await env.dispose();
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function sealedApi(overrides: Record<string, string> = {}) {
    const env = await createTestEnvironment({ ...sealedOverrides(), ...overrides });
    const entry: { env: TestEnvironment; api?: RunningApi } = { env };
    running.push(entry);
    return entry;
  }

  it('custody init can write each share encrypted to one holder’s age key; any k of them unseal', async () => {
    const entry = await sealedApi();
    const identities = [1, 2, 3].map((i) => path.join(dir, `holder-${i}.identity`));
    for (const identity of identities)
      execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
    const recipients = identities.map((identity) =>
      execFileSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).trim(),
    );
    await fs.writeFile(path.join(dir, 'holders.txt'), `# one a line\n${recipients.join('\n')}\n`);
    const out = path.join(dir, 'out');
    const init = await runCustodyInit(entry.env, {
      json: true,
      ageRecipients: path.join(dir, 'holders.txt'),
      outDir: out,
    });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const { files } = JSON.parse(init.stdout) as { files: string[] };
    expect(files).toHaveLength(3);
    expect(init.stdout).not.toMatch(/mayak-share-1-[0-9a-f]{16}/);
    const shares = [];
    for (const [i, file] of files.entries()) {
      const sealed = await fs.readFile(file, 'utf8');
      expect(sealed).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
      expect(sealed).not.toMatch(/mayak-share-1-[0-9a-f]{16}/);
      shares.push(
        execFileSync('age', ['--decrypt', '--identity', identities[i], file], {
          encoding: 'utf8',
        }).trim(),
      );
    }
    // A holder's identity opens only their own share.
    expect(() =>
      execFileSync('age', ['--decrypt', '--identity', identities[0], files[1]], { stdio: 'pipe' }),
    ).toThrow();
    entry.api = await startApi(entry.env);
    const http = new HttpClient(entry.api.url);
    expect((await http.post('/api/unseal', { share: shares[2] })).body).toMatchObject({
      sealed: true,
      progress: 1,
    });
    expect((await http.post('/api/unseal', { share: shares[0] })).body).toMatchObject({
      sealed: false,
    });
  });

  it('a wrong number of age recipients is refused before anything is created', async () => {
    const entry = await sealedApi();
    await fs.writeFile(path.join(dir, 'two.txt'), 'age1qqqq\n');
    const init = await runCustodyInit(entry.env, {
      holders: 3,
      ageRecipients: path.join(dir, 'two.txt'),
    });
    expect(init.code).toBe(2);
    expect(init.stderr).toMatch(/must list 3 recipients/);
    expect(await entry.env.db.query(`SELECT 1 FROM key_custody`)).toEqual([]);
  });

  it('partial shares are forgotten after UNSEAL_SHARE_TTL_SECONDS without a new one', async () => {
    const entry = await sealedApi({ UNSEAL_SHARE_TTL_SECONDS: '1' });
    const shares = await initCustody(entry.env);
    entry.api = await startApi(entry.env);
    const http = new HttpClient(entry.api.url);
    expect((await http.post('/api/unseal', { share: shares[0] })).body).toMatchObject({
      progress: 1,
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await http.get('/api/unseal')).body).toMatchObject({ sealed: true, progress: 0 });
    // The forgotten share does not count towards the next attempt.
    expect((await http.post('/api/unseal', { share: shares[1] })).body).toMatchObject({
      sealed: true,
      progress: 1,
    });
  });

  it('threshold and holders are checked: k of n with 2 ≤ k ≤ n ≤ 255', async () => {
    const entry = await sealedApi();
    for (const [holders, threshold] of [
      ['3', '1'],
      ['2', '3'],
      ['300', '2'],
      ['x', '2'],
    ]) {
      const init = await runCustodyInit(entry.env, { holders, threshold });
      expect([1, 2]).toContain(init.code);
      expect(init.stderr).toMatch(/threshold must be at least 2|whole numbers/);
    }
    expect(await entry.env.db.query(`SELECT 1 FROM key_custody`)).toEqual([]);
  });

  it('file custody has no shares to make: custody init says what it needs', async () => {
    const env = await createTestEnvironment();
    running.push({ env });
    const init = await runCustodyInit(env);
    expect(init.code).toBe(1);
    expect(init.stderr).toMatch(/KEY_CUSTODY=file.*need KEY_CUSTODY=sealed/);
    expect(await env.db.query(`SELECT 1 FROM key_custody`)).toEqual([]);
  });
});
