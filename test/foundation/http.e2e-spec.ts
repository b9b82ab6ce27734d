import { rm } from 'node:fs/promises';
import Redis from 'ioredis';
import {
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startPrivateRedis,
  TestEnvironment,
} from '@mayak/testing';

describe('the HTTP surface', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const noLeak = (text: string) => {
    expect(text).not.toMatch(/\n\s+at /); // a stack frame
    expect(text).not.toMatch(/SELECT|INSERT|node_modules|\.ts:/);
  };

  it('a bad request body gets a 400 that names each bad field, and no stack', async () => {
    const response = await http.post('/api/auth/login', {
      username: 'someone',
      password: 7,
      totp: '12',
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('validation_failed');
    expect(Object.keys(response.body.fields).sort()).toEqual(['password', 'totp']);
    noLeak(response.text);
  });

  it('unknown properties are refused by name rather than silently dropped', async () => {
    const response = await http.post('/api/auth/login', {
      username: 'a',
      password: 'b',
      totp: '123456',
      isAdmin: true,
    });
    expect(response.status).toBe(400);
    expect(response.body.fields).toHaveProperty('isAdmin');
  });

  it('unparseable JSON is a 400, an unknown route a 404, neither with a stack', async () => {
    const broken = await http.request('POST', '/api/auth/login', {
      raw: '{"username": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    noLeak(broken.text);
    const missing = await http.get('/api/no/such/route');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ statusCode: 404, error: 'not_found', message: 'Not found.' });
    noLeak(missing.text);
  });

  it('an oversized body is refused with 413', async () => {
    const response = await http.post('/api/auth/login', {
      username: 'a',
      password: 'x'.repeat(100_000),
      totp: '123456',
    });
    expect(response.status).toBe(413);
    noLeak(response.text);
  });

  it('a malformed id in a path is a 400 naming it, after authentication', async () => {
    const anonymous = await http.post('/api/admin/users/not-a-uuid/disable');
    expect(anonymous.status).toBe(401);
    const admin = await createUser(api.app, ['admin']);
    const token = await signIn(http, admin);
    const response = await http.post('/api/admin/users/not-a-uuid/disable', undefined, { token });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual({ id: ['id must be a UUID'] });
  });

  it('responses carry security headers, no-store and no X-Powered-By', async () => {
    const response = await http.get('/api/health');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-powered-by')).toBeNull();
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('health reports PostgreSQL and Redis and the eviction policy', async () => {
    const response = await http.get('/api/health');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      checks: {
        postgres: { status: 'up' },
        redis: { status: 'up', maxmemoryPolicy: 'noeviction' },
      },
    });
  });

  it('serves the OpenAPI document', async () => {
    const response = await http.get('/api/docs/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\./);
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining(['/api/auth/login', '/api/health', '/api/admin/users']),
    );
  });
});

describe('health', () => {
  it('without Redis is degraded, not down', async () => {
    const env = await createTestEnvironment({ REDIS_URL: 'redis://127.0.0.1:1' });
    const api = await startApi(env);
    try {
      const response = await new HttpClient(api.url).get('/api/health');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        status: 'degraded',
        checks: { postgres: { status: 'up' }, redis: { status: 'down' } },
      });
    } finally {
      await api.close();
      await env.dispose();
    }
  });

  it('warns when Redis may evict keys, which would drop jobs', async () => {
    const { redis, dir, url } = await startPrivateRedis();
    const env = await createTestEnvironment({ REDIS_URL: url });
    const api = await startApi(env);
    const client = new Redis(url);
    try {
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const response = await new HttpClient(api.url).get('/api/health');
      expect(response.body.checks.redis).toMatchObject({
        status: 'up',
        maxmemoryPolicy: 'allkeys-lru',
        warning: expect.stringMatching(/noeviction/),
      });
    } finally {
      client.disconnect();
      await api.close();
      await env.dispose();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
