import { INestApplicationContext } from '@nestjs/common';
import { KeyRing } from '@mayak/platform';
import {
  createTestEnvironment,
  createUser,
  eventually,
  freshCode,
  HttpClient,
  initCustody,
  RunningApi,
  sealedOverrides,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/**
 * A coordinator made to sign in at the door: the duress password looks like a normal
 * sign-in to whoever watches, and seals every process.
 */
describe('a duress password', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  let shares: string[];
  let coordinator: TestUser;
  const duress = 'the door is open, come in';

  beforeAll(async () => {
    env = await createTestEnvironment(sealedOverrides());
    shares = await initCustody(env);
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    await http.post('/api/unseal', { share: shares[0] });
    await http.post('/api/unseal', { share: shares[1] });
    await eventually('the worker to unseal', async () => !worker.get(KeyRing).sealed, 2_000, 10);
    coordinator = await createUser(api.app, ['coordinator']);
  });
  afterAll(async () => {
    await Promise.allSettled([api?.close(), worker?.close()]);
    await env?.dispose();
  });

  it('only the roles that may lock down can set one, and never equal to the password', async () => {
    const volunteer = await createUser(api.app, ['volunteer']);
    const volunteerToken = await signIn(http, volunteer);
    const refused = await http.put(
      '/api/auth/duress',
      { password: volunteer.password, duressPassword: duress },
      { token: volunteerToken },
    );
    expect(refused.status).toBe(403);
    const token = await signIn(http, coordinator);
    const same = await http.put(
      '/api/auth/duress',
      { password: coordinator.password, duressPassword: coordinator.password },
      { token },
    );
    expect(same.status).toBe(400);
    const wrong = await http.put(
      '/api/auth/duress',
      { password: 'not my password at all', duressPassword: duress },
      { token },
    );
    expect(wrong.status).toBe(400);
    const set = await http.put(
      '/api/auth/duress',
      { password: coordinator.password, duressPassword: duress },
      { token },
    );
    expect(set.status).toBe(204);
    const [row] = await env.db.query(`SELECT duress_password_hash FROM users WHERE id = $1`, [
      coordinator.id,
    ]);
    expect(row.duress_password_hash).toMatch(/^\$argon2id\$/);
  });

  it('signing in with it answers like a sign-in, and seals every process within 1 s', async () => {
    const started = performance.now();
    const response = await http.post('/api/auth/login', {
      username: coordinator.username,
      password: duress,
      totp: freshCode(coordinator),
    });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['expiresAt', 'token']);
    expect(response.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await eventually(
      'every process to seal',
      async () => api.app.get(KeyRing).sealed && worker.get(KeyRing).sealed,
      1_000,
      5,
    );
    process.stdout.write(
      `custody: duress sign-in sealed the API and the worker in ${(performance.now() - started).toFixed(0)} ms\n`,
    );
    const audit: Array<{ reason: string }> = await env.db.query(
      `SELECT reason FROM audit_entries WHERE action = 'custody.lockdown' AND actor_id = $1`,
      [coordinator.id],
    );
    expect(audit.map((a) => a.reason)).toEqual(['duress']);

    // After key holders unseal again, the token it gave opens nothing.
    await http.post('/api/unseal', { share: shares[1] });
    await http.post('/api/unseal', { share: shares[2] });
    const me = await http.get('/api/auth/me', { token: response.body.token });
    expect(me.status).toBe(401);
  });

  it('a wrong password is still just a wrong password', async () => {
    const response = await http.post('/api/auth/login', {
      username: coordinator.username,
      password: 'neither of the two',
      totp: '000000',
    });
    expect(response.status).toBe(401);
    expect(api.app.get(KeyRing).sealed).toBe(false);
  });
});
