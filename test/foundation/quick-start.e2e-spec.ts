import { chmod, readFile, rm, stat } from 'node:fs/promises';
import { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { totpCode } from '@mayak/identity';
import { EmbeddedPostgres, freePort } from '@mayak/platform/embedded';
import { Client } from 'pg';
import { eventually, exited, GiveUp, HttpClient, privateDir, spawnApp } from '@mayak/testing';

/**
 * The README's quick start, `npm start`, on a machine with nothing configured: embedded
 * PostgreSQL, a private Redis, generated keys, demo accounts printed once, data kept.
 */
describe('npm start on embedded defaults', () => {
  let dataDir: string;
  let port: number;

  beforeAll(async () => {
    dataDir = await privateDir('start');
    // mkdtemp makes it 0700; the embedded PostgreSQL runs as the postgres user when we are root.
    await chmod(dataDir, 0o755);
    port = await freePort();
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The embedded cluster as its superuser, the schema's owner (the password is in keys/). */
  const asOwner = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const pg = new EmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      user: 'mayak',
      password: (await readFile(path.join(dataDir, 'keys', 'postgres.password'), 'utf8')).trim(),
    });
    const running = await pg.runningPort();
    const port = running ?? (await pg.start());
    const client = new Client({ connectionString: pg.url(port, 'mayak') });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
      if (!running) await pg.stop();
    }
  };

  /** Who the API and the worker are connected as. */
  const appRoles = () =>
    asOwner(async (client) =>
      (
        await client.query<{ usename: string }>(
          `SELECT DISTINCT usename FROM pg_stat_activity
            WHERE datname = 'mayak' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
        )
      ).rows.map((r) => r.usename),
    );

  const start = () =>
    spawnApp('cli', ['start'], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' });

  /** Healthy, or fail at once with the output if the process died. */
  const healthy = (http: HttpClient, child: ChildProcess & { output: () => string }) =>
    eventually(
      'a healthy API',
      async () => {
        if (child.exitCode !== null)
          throw new GiveUp(`npm start exited ${child.exitCode}:\n${child.output()}`);
        return (await http.get('/api/health')).body?.status === 'ok';
      },
      60_000,
      250,
    );

  it('comes up healthy within 60 s, prints demo accounts once, runs the apps as a role that owns nothing, and keeps its data across a restart', async () => {
    const http = new HttpClient(`http://127.0.0.1:${port}`);
    const first = start();
    let accounts: Map<string, { password: string; secret: string }>;
    try {
      await healthy(http, first);
      await eventually(
        'the banner',
        () => Promise.resolve(first.output().includes('Mayak is up')),
        10_000,
      );
      const output = first.output();
      // Not a terminal: the credentials are in a file only its owner reads, not in the output.
      const file = path.join(dataDir, 'demo-accounts.txt');
      expect(output).toContain(`are in ${file} (mode 0600)`);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const credentials = /^ {2}(\w+) +(\S{16}) +([A-Z2-7]{32})$/gm;
      expect(output).not.toMatch(credentials);
      accounts = new Map(
        [...(await readFile(file, 'utf8')).matchAll(credentials)].map((m) => [
          m[1],
          { password: m[2], secret: m[3] },
        ]),
      );
      expect([...accounts.keys()].sort()).toEqual([
        'admin',
        'coordinator',
        'lawyer',
        'psychologist',
        'responder',
        'volunteer',
      ]);
      expect(output).toMatch(/Generated a master key at .*master\.key \(mode 0600\)/);
      expect((await stat(path.join(dataDir, 'keys', 'master.key'))).mode & 0o777).toBe(0o600);
      const lawyer = accounts.get('lawyer')!;
      const login = await http.post('/api/auth/login', {
        username: 'lawyer',
        password: lawyer.password,
        totp: totpCode(lawyer.secret),
      });
      expect(login.status).toBe(200);
      // The processes connect as the application's role, not as the owner of the schema.
      expect(await appRoles()).toEqual(['mayak_app']);
      expect((await stat(path.join(dataDir, 'keys', 'postgres-app.password'))).mode & 0o777).toBe(
        0o600,
      );
    } finally {
      first.kill('SIGTERM');
    }
    expect(await exited(first)).toEqual({ code: 0, signal: null });
    expect(first.output()).toMatch(/stopped\n$/);

    // A data directory from before the application had a role of its own.
    await asOwner(async (client) => {
      await client.query(`DROP OWNED BY mayak_app`);
      await client.query(`DROP ROLE mayak_app`);
    });
    await rm(path.join(dataDir, 'keys', 'postgres-app.password'));

    const second = start();
    try {
      await healthy(http, second);
      expect(second.output()).not.toMatch(/Demo accounts/);
      expect(await appRoles()).toEqual(['mayak_app']);
      const admin = accounts.get('admin')!;
      const login = await http.post('/api/auth/login', {
        username: 'admin',
        password: admin.password,
        totp: totpCode(admin.secret),
      });
      expect(login.status).toBe(200);
    } finally {
      second.kill('SIGTERM');
    }
    expect(await exited(second)).toEqual({ code: 0, signal: null });
  }, 150_000);
});
