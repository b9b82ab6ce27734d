import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Post,
  Put,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { sessionReach } from '@mayak/access';
import {
  EnrolmentService,
  IssuedSession,
  PasskeyService,
  ResolvedSession,
  SessionService,
  SignInService,
} from '@mayak/identity';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { AppConfig } from '@mayak/platform';
import { FastifyReply, FastifyRequest } from 'fastify';
import { clearCsrfCookie, setCsrfCookie } from '../http/csrf';
import { UuidParam } from '../http/params';
import { PasskeySetup, Public } from '../http/public.decorator';
import { CurrentActor, SESSION_COOKIE } from '../http/request-context';
import {
  ChangePasswordRequest,
  DraftKeyResponse,
  DuressPasswordRequest,
  EnrolRequest,
  EnrolResponse,
  EnrolWithCodeRequest,
  EnrolWithCodeResponse,
  LoginRequest,
  LoginResponse,
  MeResponse,
  PasskeyAssertion,
  PasskeyCeremonyResponse,
  PasskeyResponse,
  PasskeySignInRequest,
  ReauthenticateRequest,
  RegisterPasskeyRequest,
} from './auth.dto';

/**
 * Skips the sign-in limit. A bare @SkipThrottle() skips only the throttler named 'default',
 * and ours is named 'sign-in': /me and logout were counted against it, so 20 calls a minute
 * from one office behind NAT answered 429.
 */
const NOT_SIGN_IN = { 'sign-in': true } as const;

@ApiTags('auth')
@Controller('auth')
@UseGuards(ThrottlerGuard)
export class AuthController {
  constructor(
    private readonly signIn: SignInService,
    private readonly sessions: SessionService,
    private readonly enrolment: EnrolmentService,
    private readonly passkeys: PasskeyService,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @ApiOkResponse({ type: LoginResponse })
  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: LoginRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoginResponse> {
    // The client's address (behind a proxy only with TRUST_PROXY): failures slow it down.
    const session = await this.signIn.signIn(body.username, body.password, body.totp, request.ip);
    return this.startSession(reply, session);
  }

  /**
   * Passkey sign-in, step one: name and password. Always a ticket and options (no credential
   * listed), whatever is wrong, so that this step tells nothing; a wrong password is counted
   * now and fails at step two.
   */
  @Public()
  @ApiOkResponse({ type: PasskeyCeremonyResponse })
  @Post('passkey/options')
  @HttpCode(200)
  passkeyOptions(
    @Body() body: PasskeySignInRequest,
    @Req() request: FastifyRequest,
  ): Promise<PasskeyCeremonyResponse> {
    return this.signIn.beginPasskeySignIn(body.username, body.password, request.ip);
  }

  /** Passkey sign-in, step two: the browser's assertion. Sets the session like login. */
  @Public()
  @ApiOkResponse({ type: LoginResponse })
  @Post('passkey/login')
  @HttpCode(200)
  async passkeyLogin(
    @Body() body: PasskeyAssertion,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoginResponse> {
    const session = await this.signIn.completePasskeySignIn(
      body.ticket,
      body.credential as unknown as AuthenticationResponseJSON,
      request.ip,
    );
    return this.startSession(reply, session);
  }

  /** The signed-in person's passkeys: names and the day each was added, never keys. */
  @PasskeySetup()
  @SkipThrottle(NOT_SIGN_IN)
  @ApiOkResponse({ type: [PasskeyResponse] })
  @Get('passkeys')
  listPasskeys(@CurrentActor() actor: ResolvedSession): Promise<PasskeyResponse[]> {
    return this.passkeys.list(actor.userId);
  }

  /**
   * Registering a passkey, step one. The first needs only the session; another needs a
   * re-authentication within REAUTH_WINDOW_MINUTES (403 `reauthentication_required`).
   */
  @PasskeySetup()
  @ApiOkResponse({ type: PasskeyCeremonyResponse })
  @Post('passkeys/options')
  @HttpCode(200)
  registrationOptions(@CurrentActor() actor: ResolvedSession): Promise<PasskeyCeremonyResponse> {
    return this.passkeys.beginRegistration(actor);
  }

  /**
   * Registering a passkey, step two: the browser's new credential. A session that signed in
   * with a code keeps its limits: sign in again with the passkey.
   */
  @PasskeySetup()
  @ApiCreatedResponse({ type: PasskeyResponse })
  @Post('passkeys')
  @HttpCode(201)
  registerPasskey(
    @CurrentActor() actor: ResolvedSession,
    @Body() body: RegisterPasskeyRequest,
  ): Promise<PasskeyResponse> {
    return this.passkeys.completeRegistration(
      actor,
      body.ticket,
      body.credential as unknown as RegistrationResponseJSON,
      body.name,
    );
  }

  /** Removes one of your passkeys after a re-authentication; never the last of a passkey role. */
  @Delete('passkeys/:id')
  @HttpCode(204)
  async removePasskey(
    @CurrentActor() actor: ResolvedSession,
    @UuidParam() id: string,
  ): Promise<void> {
    await this.passkeys.remove(actor, id);
  }

  private startSession(reply: FastifyReply, session: IssuedSession): LoginResponse {
    reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.cookieSecure,
      path: '/',
      expires: session.expiresAt,
    });
    setCsrfCookie(reply, session.token, {
      secure: this.config.cookieSecure,
      expires: session.expiresAt,
    });
    return session;
  }

  @Public()
  @ApiOkResponse({ type: EnrolResponse })
  @Post('totp/enrol')
  @HttpCode(200)
  enrol(@Body() body: EnrolRequest, @Req() request: FastifyRequest): Promise<EnrolResponse> {
    return this.signIn.beginTotpEnrolment(body.username, body.password, request.ip);
  }

  /**
   * First sign-in of an account made by an admin: the one-time code (24 h) sets the owner's
   * own password and a new second factor, which the first sign-in with a code from it
   * completes. Limited like sign-in.
   */
  @Public()
  @ApiOkResponse({ type: EnrolWithCodeResponse })
  @Post('enrol')
  @HttpCode(200)
  enrolWithCode(@Body() body: EnrolWithCodeRequest): Promise<EnrolWithCodeResponse> {
    return this.enrolment.enrol(body.code, body.password);
  }

  @PasskeySetup()
  @SkipThrottle(NOT_SIGN_IN)
  @Post('logout')
  @HttpCode(204)
  async logout(
    @CurrentActor() actor: ResolvedSession,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.revoke(actor.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    clearCsrfCookie(reply);
  }

  /**
   * Every signed-in person: prove the password and a code again, so that role grants, exports
   * and break-glass pass for REAUTH_WINDOW_MINUTES. Limited like sign-in (it is counted by the
   * sign-in throttler, and failures slow this address for this name); a failure is 403
   * `reauthentication_failed` and leaves the session as it was.
   */
  @Post('reauthenticate')
  @HttpCode(204)
  async reauthenticate(
    @CurrentActor() actor: ResolvedSession,
    @Body() body: ReauthenticateRequest,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.signIn.reauthenticate(
      actor,
      body.password,
      body.passkey
        ? {
            ticket: body.passkey.ticket,
            credential: body.passkey.credential as unknown as AuthenticationResponseJSON,
          }
        : (body.totp ?? ''),
      request.ip,
    );
  }

  /**
   * Every signed-in person: a new password, with the current one, within REAUTH_WINDOW_MINUTES
   * of signing in or re-authenticating. Every other session of theirs ends; this one stays.
   */
  @Post('password')
  @HttpCode(204)
  async changePassword(
    @CurrentActor() actor: ResolvedSession,
    @Body() body: ChangePasswordRequest,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.signIn.changePassword(actor, body.currentPassword, body.newPassword, request.ip);
  }

  /** Re-authentication with a passkey, step one: a challenge bound to this session. */
  @ApiOkResponse({ type: PasskeyCeremonyResponse })
  @Post('reauthenticate/options')
  @HttpCode(200)
  reauthenticationOptions(
    @CurrentActor() actor: ResolvedSession,
  ): Promise<PasskeyCeremonyResponse> {
    return this.signIn.beginPasskeyReauthentication(actor);
  }

  /** Coordinators and admins: a second password that signs in and silently locks down. */
  @Put('duress')
  @HttpCode(204)
  async setDuress(
    @CurrentActor() actor: ResolvedSession,
    @Body() body: DuressPasswordRequest,
  ): Promise<void> {
    await this.signIn.setDuressPassword(actor, body.password, body.duressPassword ?? null);
  }

  /**
   * The key this session's browser encrypts unsaved drafts under before they touch its
   * disk (see SessionService.draftKey). Only the live session gets it; it is never logged.
   */
  @SkipThrottle(NOT_SIGN_IN)
  @ApiOkResponse({ type: DraftKeyResponse })
  @Get('draft-key')
  draftKey(@CurrentActor() actor: ResolvedSession): DraftKeyResponse {
    return { key: this.sessions.draftKey(actor).toString('base64') };
  }

  @PasskeySetup()
  @SkipThrottle(NOT_SIGN_IN)
  @ApiOkResponse({ type: MeResponse })
  @Get('me')
  me(@CurrentActor() actor: ResolvedSession): MeResponse {
    return {
      id: actor.userId,
      username: actor.username,
      roles: [...actor.roles],
      idleExpiresAt: actor.idleExpiresAt,
      secondFactor: actor.secondFactor,
      passkeyRegistrationRequired:
        sessionReach(actor, this.config.passkeyRequiredRoles) === 'passkey_setup_only',
    };
  }
}
