import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { NotFoundException } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from '@mayak/platform';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ApiExceptionFilter } from '../http/exception.filter';

/** Vite names everything under /assets/ by content hash: a changed file is a new URL. */
const HASHED_ASSETS = '/assets/';
const FOREVER = 'public, max-age=31536000, immutable';

/**
 * Where `npm run build:web` put the UI: dist/web, found from the compiled API
 * (dist/apps/api/src/web) and from its TypeScript source (apps/api/src/web, under Jest).
 */
export function findWebRoot(): string | undefined {
  const up = path.resolve(__dirname, '..', '..', '..', '..');
  return [path.join(up, 'web'), path.join(up, 'dist', 'web')].find((dir) =>
    existsSync(path.join(dir, 'index.html')),
  );
}

/**
 * Serves the built web UI at /: hashed assets with a year's cache, index.html never cached
 * (so a deploy reaches every browser at its next load) and for every client-side route, so
 * that a reload or a typed URL lands in the app. Nothing under /api ever falls back to it: an
 * unknown API path stays a JSON 404. The strict CSP from http-setup covers these responses
 * too; the build emits no inline script or style (test/web checks it).
 */
export async function serveWebUi(
  app: NestFastifyApplication,
  logger: Logger,
  root = findWebRoot(),
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const notFound = new ApiExceptionFilter(logger).toBody(new NotFoundException());
  const indexHtml = root ? await readFile(path.join(root, 'index.html')) : undefined;
  if (!root) logger.warn('the web UI is not built (npm run build:web); serving the API only');
  else
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      // One route per file found now, so that a request for anything else reaches the
      // fallback below instead of a generic 404.
      wildcard: false,
      index: false,
      decorateReply: false,
      cacheControl: false,
      etag: true,
      lastModified: false,
      setHeaders: (res: FastifyReply, filePath: string) => {
        const url = `/${path.relative(root, filePath).split(path.sep).join('/')}`;
        void res.header(
          'cache-control',
          url.startsWith(HASHED_ASSETS) ? FOREVER : url === '/index.html' ? 'no-store' : 'no-cache',
        );
      },
    });

  fastify.get('/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0] ?? '/';
    if (url === '/api' || url.startsWith('/api/'))
      return reply.status(404).header('cache-control', 'no-store').send(notFound);
    if (!indexHtml)
      return reply
        .status(404)
        .type('text/plain; charset=utf-8')
        .send('The web UI is not built: run `npm run build:web`.\n');
    // A missing file is a 404, not the app: a stale script URL must not get HTML back.
    if (url.startsWith(HASHED_ASSETS) || /\.[A-Za-z0-9]+$/.test(url))
      return reply.status(404).type('text/plain; charset=utf-8').send('Not found.\n');
    return reply
      .status(200)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(indexHtml);
  });
}
