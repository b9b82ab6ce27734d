import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { sessionReach } from '@mayak/access';
import { IdentityError, IdentityException, SessionService } from '@mayak/identity';
import { AppConfig } from '@mayak/platform';
import { IS_PUBLIC, PASSKEY_SETUP } from './public.decorator';
import { MayakRequest, SESSION_COOKIE } from './request-context';

/**
 * Every route needs a live session unless marked @Public(). The token comes from
 * `Authorization: Bearer …` or from the HttpOnly session cookie. A session that may only set up
 * its passkey (sessionReach) passes only routes marked @PasskeySetup(): 403
 * `passkey_registration_required` elsewhere.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<MayakRequest>();
    const token = tokenOf(request);
    const session = token ? await this.sessions.resolve(token) : undefined;
    if (!session) throw new IdentityException(IdentityError.Unauthenticated);
    request.session = session;
    if (
      sessionReach(session, this.config.passkeyRequiredRoles) === 'passkey_setup_only' &&
      !this.reflector.getAllAndOverride<boolean>(PASSKEY_SETUP, [
        context.getHandler(),
        context.getClass(),
      ])
    )
      throw new IdentityException(IdentityError.PasskeyRegistrationRequired);
    return true;
  }
}

export function tokenOf(request: MayakRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  return request.cookies?.[SESSION_COOKIE];
}
