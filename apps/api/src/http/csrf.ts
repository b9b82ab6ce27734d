import { createHmac, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '@mayak/platform';
import { FastifyReply } from 'fastify';
import { ErrorBody } from './error-body';
import { IS_PUBLIC } from './public.decorator';
import { MayakRequest, SESSION_COOKIE } from './request-context';

/** Readable by the page's own script (not HttpOnly), so it can echo it in CSRF_HEADER. */
export const CSRF_COOKIE = 'mayak_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The CSRF token of a session: an HMAC keyed by the session token. It needs no storage, dies
 * with the session, and cannot be forged without the session token itself, which lives only
 * in the HttpOnly cookie; so a cookie planted by a sibling site (which can set cookies for
 * us but not read ours) does not help an attacker, as it would with a plain random
 * double-submit value. Reading it gives nothing back: the HMAC does not reveal its key.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('mayak csrf v1').digest('base64url');
}

export function setCsrfCookie(
  reply: FastifyReply,
  sessionToken: string,
  options: { secure: boolean; expires?: Date },
): void {
  void reply.setCookie(CSRF_COOKIE, csrfTokenFor(sessionToken), {
    httpOnly: false,
    sameSite: 'strict',
    secure: options.secure,
    path: '/',
    ...(options.expires ? { expires: options.expires } : {}),
  });
}

export function clearCsrfCookie(reply: FastifyReply): void {
  void reply.clearCookie(CSRF_COOKIE, { path: '/' });
}

export class CsrfRejected extends HttpException {
  readonly body: ErrorBody = {
    statusCode: 403,
    error: 'csrf_failed',
    message: 'The request lacks a valid X-CSRF-Token header; reload the page and try again.',
  };
  constructor() {
    super('csrf_failed', 403);
  }
}

/**
 * Double-submit protection for requests authenticated by the session cookie. Browsers
 * attach cookies to cross-site requests on their own (SameSite=Strict already stops most of
 * that; this is the second lock), but never a custom header: a state-changing request that
 * rides on the cookie must echo the session's CSRF token in X-CSRF-Token. Requests that
 * authenticate with an Authorization header are exempt, since no browser adds one unasked,
 * and so are public routes, which use no session. Runs after SessionGuard, so a dead session
 * is a 401 (back to sign-in), never a 403.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<MayakRequest>();
    if (request.headers.authorization) return true;
    const sessionToken = request.cookies?.[SESSION_COOKIE];
    if (!sessionToken) return true;
    const expected = csrfTokenFor(sessionToken);

    // A session from before the token existed, or a browser that lost the cookie: hand it
    // (again) so the page can retry; doing so reveals nothing the session cookie does not.
    if (request.cookies?.[CSRF_COOKIE] !== expected)
      setCsrfCookie(context.switchToHttp().getResponse<FastifyReply>(), sessionToken, {
        secure: this.config.cookieSecure,
      });

    if (SAFE_METHODS.has(request.method)) return true;
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameText(sent, expected)) throw new CsrfRejected();
    return true;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
