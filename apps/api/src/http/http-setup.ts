import fastifyCookie from '@fastify/cookie';
import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { AppConfig, KeyRing, Logger } from '@mayak/platform';
import { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { serveWebUi } from '../web/web-ui';
import { ApiExceptionFilter, SEALED_BODY } from './exception.filter';
import { buildOpenApiDocument } from './openapi';
import { validationPipe } from './validation';

const OPEN_WHILE_SEALED = /^\/api\/(health|unseal)(\/|\?|$)/;

/** Limits on what a client may send: a contact is a few kilobytes; nothing needs more. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export const STRICT_CSP = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  manifestSrc: ["'self'"],
  mediaSrc: ["'self'", 'data:'],
};

/**
 * Everything about the HTTP surface that is not a route: security headers, cookies, input
 * validation, error mapping, request logging and the OpenAPI document. Used by main.ts and
 * by the tests, so what is tested is what runs.
 */
export async function configureHttp(
  app: NestFastifyApplication,
  config: AppConfig,
  logger: Logger,
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const filter = new ApiExceptionFilter(logger);

  await app.register(fastifyCookie);
  // Helmet's headers, the same on every response. Built once: @fastify/helmet built helmet's
  // middleware again for every request, the CSP parsed anew each time.
  const securityHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: STRICT_CSP },
    strictTransportSecurity: config.cookieSecure
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  });
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) =>
    securityHeaders(request.raw, reply.raw, (error?: unknown) =>
      done(error instanceof Error ? error : undefined),
    ),
  );

  // HTTP/1.1 requires Host; Node's own check is off (see fastifyErrorOptions) so that the
  // refusal has the usual error body.
  fastify.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done) => {
    done(
      request.raw.httpVersion === '1.1' && !request.headers.host
        ? new BadRequestException()
        : undefined,
    );
  });

  // Sealed, the API does nothing but report health and take key shares: no sign-in, no
  // session lookup, no route that could need a key. The web UI itself is still served, so
  // that it can show the unseal screen.
  const ring = app.get(KeyRing);
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (ring.sealed && request.url.startsWith('/api') && !OPEN_WHILE_SEALED.test(request.url))
      await reply.status(503).send(SEALED_BODY);
  });

  // JSON only. A form (urlencoded or multipart) or text/plain is what a page on another site
  // can send without a CORS preflight; urlencoded forms were parsed (repeated keys even make
  // arrays) and reached validation. Refused before parsing, whatever the route.
  fastify.addHook('preParsing', async (request: FastifyRequest, _reply: FastifyReply, payload) => {
    if (carriesBody(request) && !isJson(request.headers['content-type']))
      throw new UnsupportedMediaTypeException();
    return payload;
  });

  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    reply.removeHeader('x-powered-by');
    if (request.url.startsWith('/api')) reply.header('cache-control', 'no-store');
    return payload;
  });
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    // The route pattern, not the URL: ids are fine in logs, but a pattern is all we need.
    logger.info(
      {
        reqId: request.id,
        method: request.method,
        route: request.routeOptions?.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  await serveWebUi(app, logger);

  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(filter);
  app.setGlobalPrefix('api', { exclude: [] });

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs/openapi.json',
    raw: ['json'],
  });
}

function carriesBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (!!length && length !== '0');
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === 'application/json';
}
