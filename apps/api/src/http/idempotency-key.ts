import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { RequestValidationError } from './validation';

const KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** The optional Idempotency-Key header, checked: a malformed key is a 400 naming it. */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => {
    const header = ctx.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
    if (header === undefined) return undefined;
    if (typeof header !== 'string' || !KEY.test(header))
      throw new RequestValidationError({
        'Idempotency-Key': [
          'Idempotency-Key must be 8–128 letters, digits, dots, dashes, colons or underscores',
        ],
      });
    return header;
  },
);
