import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ResolvedSession } from '@mayak/identity';
import { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'mayak_session';

export type MayakRequest = FastifyRequest & { session?: ResolvedSession };

/** The signed-in actor of the request; the session guard has already insisted on one. */
export const CurrentActor = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): ResolvedSession => {
    const session = ctx.switchToHttp().getRequest<MayakRequest>().session;
    if (!session) throw new Error('CurrentActor used on a route without a session');
    return session;
  },
);
