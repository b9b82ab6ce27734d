import { Server, STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { Logger } from '@mayak/platform';
import { FastifyHttpOptions, FastifyReply } from 'fastify';
import { ApiExceptionFilter } from './exception.filter';

/**
 * Fastify and Node answer some bad requests themselves, before any route or hook runs and so
 * without the exception filter: a path that is not valid percent-encoding (FST_ERR_BAD_URL), a
 * path parameter longer than maxParamLength (FST_ERR_MAX_PARAM_LENGTH), whatever Node's HTTP
 * parser refuses (headers over 16 KiB, broken framing), and an HTTP/1.1 request without Host.
 * Their bodies are not ours (the first two even repeat the whole URL, query string included;
 * the last has none). These server options give them the error body every other error has.
 * They exist only as Fastify server options, so main.ts passes them to the FastifyAdapter.
 */
export function fastifyErrorOptions(
  logger: Logger,
): Pick<FastifyHttpOptions<Server>, 'frameworkErrors' | 'clientErrorHandler' | 'http'> {
  const filter = new ApiExceptionFilter(logger);
  return {
    // Node would refuse a request without Host with an empty 400; the onRequest hook in
    // configureHttp refuses it instead, with the usual body.
    http: { requireHostHeader: false },
    frameworkErrors: (error, _request, reply) => {
      const body = filter.toBody(error);
      void (reply as FastifyReply).code(body.statusCode).send(body);
    },
    clientErrorHandler: (error, socket: Socket) => {
      // A reset connection has nobody left to answer.
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const status =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? 431
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? 408
            : 400;
      logger.debug({ code: error.code, status }, 'malformed request refused');
      if (!socket.writable) return void socket.destroy();
      const body = JSON.stringify(filter.toBody({ statusCode: status }));
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Cache-Control: no-store\r\n' +
          'X-Content-Type-Options: nosniff\r\n' +
          'Connection: close\r\n\r\n' +
          body,
      );
    },
  };
}
