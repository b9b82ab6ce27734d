import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createTestEnvironment,
  HttpClient,
  RunningApi,
  startApi,
  TestEnvironment,
} from '@mayak/testing';

const WEB = path.resolve(__dirname, '..', '..', 'dist', 'web');

describe('the API serves the built web UI', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let assets: string[];

  beforeAll(async () => {
    assets = await readdir(path.join(WEB, 'assets')).catch(() => {
      throw new Error(`${WEB} is missing: run \`npm run build:web\` first (npm test does)`);
    });
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('serves index.html at / under the strict CSP, never cached', async () => {
    const response = await http.get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|nonce-|sha256-/);
    expect(response.text).toMatch(
      /<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/,
    );
  });

  it('the build has no inline script, inline style, style attribute or event handler attribute', async () => {
    const html = await readFile(path.join(WEB, 'index.html'), 'utf8');
    for (const tag of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? [])
      expect(tag).toMatch(/^<script[^>]*\bsrc="/);
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    // Nothing inlined as data: URIs that only a looser policy would load.
    const css = await Promise.all(
      assets
        .filter((a) => a.endsWith('.css'))
        .map((a) => readFile(path.join(WEB, 'assets', a), 'utf8')),
    );
    expect(css.join('\n')).not.toMatch(/url\(\s*['"]?data:/);
  });

  it('serves hashed assets with a year-long immutable cache', async () => {
    const script = assets.find((a) => /^index-[\w-]+\.js$/.test(a));
    expect(script).toBeDefined();
    const response = await http.get(`/assets/${script}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const stylesheet = assets.find((a) => a.endsWith('.css'));
    const css = await http.get(`/assets/${stylesheet}`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('answers client-side routes with the app, so a reload or a typed URL works', async () => {
    for (const route of [
      '/intake',
      '/admin/users',
      '/cases/6f1c2f9e-54a4-4a43-9c89-2d9d7f5b1e0a',
    ]) {
      const response = await http.get(route);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.text).toContain('<div id="root"></div>');
    }
  });

  it('never answers /api paths with the app: an unknown API route stays a JSON 404', async () => {
    for (const route of ['/api/no/such/route', '/api', '/api/']) {
      const response = await http.get(route);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ statusCode: 404, error: 'not_found', message: 'Not found.' });
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    const post = await http.post('/api/no/such/route', {});
    expect(post.status).toBe(404);
    expect(post.body.error).toBe('not_found');
  });

  it('a missing asset is a 404, not the app (a stale script URL must not get HTML)', async () => {
    for (const route of ['/assets/index-gone.js', '/favicon.ico', '/robots.txt']) {
      const response = await http.get(route);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).not.toMatch(/html/);
    }
  });

  it('only GET and HEAD reach the app', async () => {
    const head = await http.request('HEAD', '/intake');
    expect(head.status).toBe(200);
    const post = await http.post('/intake', {});
    expect(post.status).toBe(404);
  });
});
