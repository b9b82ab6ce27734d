import { totpCode } from '@mayak/identity';
import {
  createTestEnvironment,
  exited,
  listeningApi,
  runApp,
  TestEnvironment,
} from '@mayak/testing';

describe('the operator command line', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('create-user prints one JSON line with the new account and its TOTP secret', async () => {
    const result = await runApp(
      'cli',
      [
        'create-user',
        '--username',
        'Anna.Lawyer',
        '--roles',
        'lawyer,volunteer',
        '--password-stdin',
      ],
      env.env,
      'correct horse battery\n',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const created = JSON.parse(lines[0]);
    expect(created).toEqual({
      id: expect.any(String),
      username: 'anna.lawyer',
      roles: ['lawyer', 'volunteer'],
      totpSecret: expect.stringMatching(/^[A-Z2-7]{32}$/),
    });

    const [row] = await env.db.query(
      `SELECT password_hash, totp_secret_enc FROM users WHERE id = $1`,
      [created.id],
    );
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.totp_secret_enc.toString('latin1')).not.toContain(created.totpSecret);
  });

  it('create-admin gives the admin role, and the account can sign in through the API', async () => {
    const result = await runApp(
      'cli',
      ['create-admin', '--username', 'root.admin', '--password-stdin'],
      env.env,
      'another long password',
    );
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout);
    expect(created.roles).toEqual(['admin']);
    const { api, http } = await listeningApi(env);
    try {
      const login = await http.post('/api/auth/login', {
        username: 'root.admin',
        password: 'another long password',
        totp: totpCode(created.totpSecret),
      });
      expect(login.status).toBe(200);
      // SIGTERM: the API drains and exits cleanly.
      api.kill('SIGTERM');
      expect(await exited(api)).toEqual({ code: 0, signal: null });
    } finally {
      api.kill('SIGKILL');
    }
  });

  it('SIGTERM ends open notification streams and exits 0 at once, not at the shutdown deadline', async () => {
    // Every signed-in browser holds one of these streams open; a deploy must not wait on them.
    const result = await runApp(
      'cli',
      ['create-user', '--username', 'on.call', '--roles', 'responder', '--password-stdin'],
      env.env,
      'a long responder password',
    );
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout);
    const { api, http, port } = await listeningApi(env);
    try {
      const login = await http.post('/api/auth/login', {
        username: 'on.call',
        password: 'a long responder password',
        totp: totpCode(created.totpSecret),
      });
      const stream = await fetch(`http://127.0.0.1:${port}/api/notifications/stream`, {
        headers: { authorization: `Bearer ${login.body.token}`, accept: 'text/event-stream' },
      });
      expect(stream.status).toBe(200);
      const reader = stream.body!.getReader();
      const ended = (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })().catch(() => 'cut off');

      const signalled = Date.now();
      api.kill('SIGTERM');
      expect(await exited(api)).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(3_000);
      expect(await ended).toBe('ended');
    } finally {
      api.kill('SIGKILL');
    }
  });

  it('refuses bad arguments with the usage and exit code 2', async () => {
    const result = await runApp(
      'cli',
      ['create-user', '--username', 'x', '--roles', 'wizard', '--password-stdin'],
      env.env,
      'long enough password',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/username must be|unknown role/);
    expect(result.stderr).toMatch(/usage: npm run cli -- create-user/);
    const short = await runApp(
      'cli',
      ['create-user', '--username', 'someone', '--roles', 'lawyer', '--password-stdin'],
      env.env,
      'short',
    );
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/12 to 256 characters/);
  });

  it('a taken username is refused', async () => {
    const result = await runApp(
      'cli',
      ['create-user', '--username', 'anna.lawyer', '--roles', 'lawyer', '--password-stdin'],
      env.env,
      'correct horse battery',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/username is taken/);
  });
});

describe('start-up configuration', () => {
  it('a malformed variable stops the API with a message naming it', async () => {
    const result = await runApp('api', [], {
      PORT: 'eighty',
      DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PORT/);
  });

  it('a missing variable stops the worker with a message naming it', async () => {
    const result = await runApp('worker', [], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL is not set/);
    expect(result.stderr).toMatch(/REDIS_URL is not set/);
  });
});
