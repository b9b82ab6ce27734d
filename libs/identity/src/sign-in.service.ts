import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { AuditEvent, AuditTrail } from '@mayak/audit';
import { AppConfig, EnvelopeCipher, rowsOf } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { IdentityError, IdentityException } from './identity.exception';
import { PasswordHasher } from './password-hasher';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { Ceremony, PasskeyService, passkeyRequiredFor } from './passkeys.service';
import { IssuedSession, ResolvedSession, SessionService } from './session.service';
import { SignInAttempt, SignInThrottle } from './sign-in-throttle';
import { newTotpSecret, otpauthUri, totpStep } from './totp';
import { UserEntity } from './user.entity';
import { normaliseUsername, UsernameSealing } from './staff-names';
import { Actor, Role } from './roles';

const SIGN_IN = 'auth.sign_in';
const REAUTHENTICATE = 'auth.reauthenticate';
const PASSWORD_CHANGE = 'auth.password_change';

/** Who may hold a duress password: the roles that may lock down (see libs/access). */
const DURESS_ROLES: readonly Role[] = ['coordinator', 'admin'];

/**
 * What a duress sign-in sets off: the custody module's lockdown, provided globally so that
 * identity need not depend on it.
 */
export const DURESS_LOCKDOWN = Symbol('DURESS_LOCKDOWN');
export interface DuressLockdown {
  lockdown(actor: Actor): Promise<void>;
}

/**
 * Password and TOTP or passkey sign-in. Every way of failing looks the same from outside (one status,
 * one body, the same argon2 work) and is written to the audit trail with a reason code.
 * Consecutive failures lock the account for a while.
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly cipher: EnvelopeCipher,
    private readonly audit: AuditTrail,
    private readonly sealing: UsernameSealing,
    private readonly throttle: SignInThrottle,
    private readonly passkeys: PasskeyService,
    @Optional() @Inject(DURESS_LOCKDOWN) private readonly duress?: DuressLockdown,
  ) {}

  /**
   * `source` is the client's address: failures slow down that address for that name
   * (SignInThrottle), never the account everywhere.
   */
  async signIn(
    username: string,
    password: string,
    code: string,
    source = 'unknown',
  ): Promise<IssuedSession> {
    const attempt = this.throttle.attempt(username, source);
    await this.throttled(attempt, 'auth.sign_in');
    const { user, usable, passwordOk, duressOk } = await this.checkPassword(attempt, password);
    if (!user) return this.failAndCount(attempt, null, 'unknown_user');
    if (!usable) return this.failAndCount(attempt, user.id, 'disabled');
    if (!passwordOk && !duressOk) return this.failAndCount(attempt, user.id, 'bad_password');

    const secret = this.totpSecret(user);
    if (!secret) {
      await this.audit.record({
        actorId: user.id,
        action: SIGN_IN,
        recordType: 'user',
        recordId: user.id,
        outcome: 'failure',
        reason: 'totp_not_enrolled',
      });
      throw new IdentityException(IdentityError.TotpEnrolmentRequired);
    }
    const step = totpStep(secret, code);
    if (step === undefined) return this.failAndCount(attempt, user.id, 'bad_totp');
    if (duressOk) return this.signInUnderDuress(user);
    // A role that signs in with a passkey never gets in with a phished code once it has one.
    if (
      passkeyRequiredFor(user.roles, this.config.passkeyRequiredRoles) &&
      (await this.passkeys.count(user.id)) > 0
    ) {
      await this.audit.record({
        actorId: user.id,
        action: SIGN_IN,
        recordType: 'user',
        recordId: user.id,
        outcome: 'failure',
        reason: 'passkey_required',
      });
      throw new IdentityException(IdentityError.PasskeyRequired);
    }

    return this.db
      .transaction(async (em) => {
        // Accepting the step and issuing the session is one atomic act.
        await acceptCodeStep(em, user.id, step, { completesEnrolment: true });
        const session = await this.sessions.issue(user.id, em);
        await this.audit.record(
          {
            actorId: user.id,
            action: SIGN_IN,
            recordType: 'user',
            recordId: user.id,
            outcome: 'success',
          },
          em,
        );
        return session;
      })
      .then(async (session) => {
        await this.throttle.succeeded(attempt);
        return session;
      })
      .catch(async (error: unknown) => {
        if (error instanceof ReusedCode) return this.failAndCount(attempt, user.id, 'totp_reused');
        throw error;
      });
  }

  /**
   * Sign-in with a passkey, step one: the name and password. Answers the same whatever is
   * wrong (unknown name, wrong password, disabled, no passkey): a ticket and options that list
   * no credential, so nothing here tells a right password from a wrong one. A wrong one is
   * counted and audited now; its ticket then fails at step two. A duress password is marked
   * on the ticket and locks down at step two, exactly when a sign-in would succeed.
   */
  async beginPasskeySignIn(
    username: string,
    password: string,
    source = 'unknown',
  ): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
    const attempt = this.throttle.attempt(username, source);
    await this.throttled(attempt, SIGN_IN);
    const { user, usable, passwordOk, duressOk } = await this.checkPassword(attempt, password);
    const reason = !user
      ? 'unknown_user'
      : !usable
        ? 'disabled'
        : !passwordOk && !duressOk
          ? 'bad_password'
          : undefined;
    if (reason) await this.countFailure(attempt, user?.id ?? null, reason);
    return this.passkeys.beginAssertion('sign_in', {
      userId: reason ? null : user!.id,
      nameHash: attempt.nameHash,
      duress: duressOk,
    });
  }

  /**
   * Sign-in with a passkey, step two: the browser's assertion over the ticket's challenge,
   * by one of the account's passkeys, from an allowed origin. The session it issues counts as
   * signed in with a passkey. Every failure answers the same (401) and slows this address for
   * this name.
   */
  async completePasskeySignIn(
    ticket: string,
    credential: AuthenticationResponseJSON,
    source = 'unknown',
  ): Promise<IssuedSession> {
    const taken = await this.passkeys.takeChallenge(ticket, 'sign_in');
    if (!taken?.nameHash) throw new IdentityException(IdentityError.InvalidCredentials);
    const attempt = this.throttle.attemptFor(taken.nameHash, source);
    await this.throttled(attempt, SIGN_IN);
    // The password was wrong: counted at step one, refused here alike.
    if (!taken.userId) throw new IdentityException(IdentityError.InvalidCredentials);
    const user = await this.db.getRepository(UserEntity).findOneBy({ id: taken.userId });
    if (!user || user.disabledAt) return this.failAndCount(attempt, taken.userId, 'disabled');
    if (!(await this.passkeys.verifyAssertion(user.id, taken.challenge, credential)))
      return this.failAndCount(attempt, user.id, 'bad_passkey');
    if (taken.duress) return this.signInUnderDuress(user);
    const session = await this.db.transaction(async (em) => {
      const issued = await this.sessions.issue(user.id, em, 'passkey');
      await this.audit.record(
        {
          actorId: user.id,
          action: SIGN_IN,
          recordType: 'user',
          recordId: user.id,
          outcome: 'success',
          reason: 'passkey',
        },
        em,
      );
      return issued;
    });
    await this.throttle.succeeded(attempt);
    return session;
  }

  /** Re-authentication with a passkey, step one: a challenge bound to this session. */
  beginPasskeyReauthentication(
    actor: ResolvedSession,
  ): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
    return this.passkeys.beginAssertion('reauthenticate', {
      userId: actor.userId,
      sessionId: actor.sessionId,
    });
  }

  /**
   * The signed-in person proves their password and a code again (issue 12.4): role grants,
   * exports and break-glass then pass for REAUTH_WINDOW_MINUTES (AccessControl's
   * requireRecentAuthentication). Checked like sign-in: one argon2 verification whatever is
   * wrong, a code works once (the same last step as sign-in's), failures counted against this
   * address for this name (SignInThrottle) and audited. A failure never ends the session.
   */
  async reauthenticate(
    actor: ResolvedSession,
    password: string,
    proof: string | { ticket: string; credential: AuthenticationResponseJSON },
    source = 'unknown',
  ): Promise<void> {
    const attempt = this.throttle.attempt(actor.username, source);
    await this.throttled(attempt, REAUTHENTICATE, actor.userId);
    const user = await this.db.getRepository(UserEntity).findOneBy({ id: actor.userId });
    const usable = user && !user.disabledAt;
    const passwordOk = await this.hasher.verify(usable ? user.passwordHash : undefined, password);
    const fail = (reason: string) =>
      this.failAndCount(
        attempt,
        actor.userId,
        reason,
        REAUTHENTICATE,
        IdentityError.ReauthenticationFailed,
      );
    if (!usable) return fail('disabled');
    if (!passwordOk) return fail('bad_password');
    let step: number | undefined;
    if (typeof proof === 'string') {
      // A passkey role with a passkey proves itself with it: a phished code is not enough.
      if (
        passkeyRequiredFor(user.roles, this.config.passkeyRequiredRoles) &&
        (await this.passkeys.count(user.id)) > 0
      )
        return fail('passkey_required');
      const secret = this.totpSecret(user);
      step = secret === undefined ? undefined : totpStep(secret, proof);
      if (step === undefined) return fail('bad_totp');
    } else {
      const taken = await this.passkeys.takeChallenge(
        proof.ticket,
        'reauthenticate',
        actor.sessionId,
      );
      if (
        !taken ||
        !(await this.passkeys.verifyAssertion(user.id, taken.challenge, proof.credential))
      )
        return fail('bad_passkey');
    }
    try {
      await this.db.transaction(async (em) => {
        if (step !== undefined)
          await acceptCodeStep(em, user.id, step, { completesEnrolment: false });
        await this.sessions.markAuthenticated(actor.sessionId, em);
        await this.audit.record(
          {
            actorId: user.id,
            action: REAUTHENTICATE,
            recordType: 'user',
            recordId: user.id,
            outcome: 'success',
          },
          em,
        );
      });
    } catch (error) {
      if (error instanceof ReusedCode) return fail('totp_reused');
      throw error;
    }
    await this.throttle.succeeded(attempt);
  }

  /**
   * Someone is made to sign in: lock everything down, and answer exactly as a sign-in would.
   * The token opens nothing: no session is issued, and the lockdown has ended every other.
   */
  private async signInUnderDuress(user: UserEntity): Promise<IssuedSession> {
    if (!this.duress) throw new IdentityException(IdentityError.InvalidCredentials);
    await this.duress.lockdown({ userId: user.id, roles: user.roles });
    return {
      token: randomBytes(32).toString('base64url'),
      expiresAt: new Date(Date.now() + this.config.SESSION_ABSOLUTE_HOURS * 3_600_000),
    };
  }

  /**
   * Sets or clears the signed-in user's duress password, after checking their password. Only
   * for the roles that may lock down; it must differ from the password itself.
   */
  async setDuressPassword(actor: Actor, password: string, duress: string | null): Promise<void> {
    if (!actor.roles.some((r) => DURESS_ROLES.includes(r)))
      throw new IdentityException(IdentityError.DuressNotAllowed);
    const user = await this.db.getRepository(UserEntity).findOneByOrFail({ id: actor.userId });
    if (!(await this.hasher.verify(user.passwordHash, password)))
      throw new IdentityException(IdentityError.CurrentPasswordWrong);
    if (duress !== null && duress === password)
      throw new IdentityException(IdentityError.DuressSameAsPassword);
    const hash = duress === null ? null : await this.hasher.hash(duress);
    await this.db.transaction(async (em) => {
      await em.query(
        `UPDATE users SET duress_password_hash = $2, updated_at = now() WHERE id = $1`,
        [user.id, hash],
      );
      await this.audit.record(
        {
          actorId: user.id,
          action: duress === null ? 'auth.duress_cleared' : 'auth.duress_set',
          recordType: 'user',
          recordId: user.id,
          outcome: 'success',
        },
        em,
      );
    });
  }

  /**
   * The signed-in person sets a new password (issue 13.8). Like the other sensitive actions it
   * needs a recent sign-in or re-authentication with the second factor (REAUTH_WINDOW_MINUTES,
   * else 403 `reauthentication_required`), and the current password besides: a wrong one is
   * counted against this address for this name like a failed sign-in. The new one follows the
   * enrolment's policy (12 to 256 characters, in the DTO) and differs from the current and the
   * duress password. Every other session of the user ends; this one stays. Audited either way.
   */
  async changePassword(
    actor: ResolvedSession,
    current: string,
    next: string,
    source = 'unknown',
  ): Promise<void> {
    if (
      !(await this.sessions.authenticatedWithin(actor.sessionId, this.config.REAUTH_WINDOW_MINUTES))
    ) {
      await this.audit.record({
        actorId: actor.userId,
        action: PASSWORD_CHANGE,
        recordType: 'user',
        recordId: actor.userId,
        outcome: 'deny',
        reason: 'reauthentication_required',
      });
      throw new IdentityException(IdentityError.ReauthenticationRequired);
    }
    const attempt = this.throttle.attempt(actor.username, source);
    await this.throttled(attempt, PASSWORD_CHANGE, actor.userId);
    const user = await this.db.getRepository(UserEntity).findOneByOrFail({ id: actor.userId });
    if (!(await this.hasher.verify(user.passwordHash, current)))
      return this.failAndCount(
        attempt,
        user.id,
        'bad_password',
        PASSWORD_CHANGE,
        IdentityError.CurrentPasswordWrong,
      );
    if (
      next === current ||
      (user.duressPasswordHash !== null &&
        (await this.hasher.verify(user.duressPasswordHash, next)))
    )
      throw new IdentityException(IdentityError.PasswordUnchanged);
    const hash = await this.hasher.hash(next);
    await this.db.transaction(async (em) => {
      await em.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [
        user.id,
        hash,
      ]);
      await this.sessions.revokeOthersOf(user.id, actor.sessionId, em);
      await this.audit.record(
        {
          actorId: user.id,
          action: PASSWORD_CHANGE,
          recordType: 'user',
          recordId: user.id,
          outcome: 'success',
        },
        em,
      );
    });
    await this.throttle.succeeded(attempt);
  }

  /**
   * First step of setting up a second factor, for an account without one: proves the
   * password and returns a fresh secret as an otpauth URI. The first sign-in with a code
   * from it completes the enrolment.
   */
  async beginTotpEnrolment(
    username: string,
    password: string,
    source = 'unknown',
  ): Promise<{ otpauthUri: string; secret: string }> {
    const attempt = this.throttle.attempt(username, source);
    await this.throttled(attempt, 'auth.totp_enrol');
    const user = await this.findByName(attempt);
    const usable = user && !user.disabledAt;
    const passwordOk = await this.hasher.verify(usable ? user.passwordHash : undefined, password);
    if (!user) return this.failAndCount(attempt, null, 'unknown_user', 'auth.totp_enrol');
    if (!usable) return this.failAndCount(attempt, user.id, 'disabled', 'auth.totp_enrol');
    if (!passwordOk) return this.failAndCount(attempt, user.id, 'bad_password', 'auth.totp_enrol');
    if (user.totpEnrolled) throw new IdentityException(IdentityError.AlreadyEnrolled);
    const secret = newTotpSecret();
    const dek = this.cipher.unwrapDataKey('users', user.id, user.dekWrapped);
    await this.db.query(
      `UPDATE users SET totp_secret_enc = $2, totp_last_step = NULL, updated_at = now() WHERE id = $1 AND NOT totp_enrolled`,
      [
        user.id,
        this.cipher.encrypt(dek, { table: 'users', id: user.id, column: 'totp_secret' }, secret),
      ],
    );
    await this.audit.record({
      actorId: user.id,
      action: 'auth.totp_enrol',
      recordType: 'user',
      recordId: user.id,
      outcome: 'success',
    });
    return { otpauthUri: otpauthUri(secret, normaliseUsername(username)), secret };
  }

  /**
   * The account by name, and whether `password` is its password or its duress password. A
   * wrong password is always tried as a duress password too (against a decoy when there is
   * none), so that timing tells neither whether the name exists nor who has one.
   */
  private async checkPassword(
    attempt: SignInAttempt,
    password: string,
  ): Promise<{
    user: UserEntity | null;
    usable: boolean;
    passwordOk: boolean;
    duressOk: boolean;
  }> {
    const user = await this.findByName(attempt);
    const usable = !!user && !user.disabledAt;
    const passwordOk = await this.hasher.verify(usable ? user.passwordHash : undefined, password);
    const duressOk =
      !passwordOk &&
      (await this.hasher.verify(
        usable && user.roles.some((r) => DURESS_ROLES.includes(r))
          ? (user.duressPasswordHash ?? undefined)
          : undefined,
        password,
      )) &&
      !!user?.duressPasswordHash;
    return { user, usable, passwordOk, duressOk };
  }

  /**
   * By the name's keyed hash (the attempt's, which the throttle keys on too): the same HMAC
   * and the same indexed lookup whether or not the name exists. Names an older version left
   * in plaintext are sealed first (at most once per unseal).
   */
  private async findByName(attempt: SignInAttempt): Promise<UserEntity | null> {
    await this.sealing.settled();
    return this.db.getRepository(UserEntity).findOneBy({ usernameHash: attempt.nameHash });
  }

  private totpSecret(user: UserEntity): string | undefined {
    if (!user.totpSecretEnc) return undefined;
    const dek = this.cipher.unwrapDataKey('users', user.id, user.dekWrapped);
    return this.cipher.decrypt(
      dek,
      { table: 'users', id: user.id, column: 'totp_secret' },
      user.totpSecretEnc,
    );
  }

  /** Refuses, audited, while this address must wait for this name. */
  private async throttled(
    attempt: SignInAttempt,
    action: string,
    actorId: string | null = null,
  ): Promise<void> {
    try {
      await this.throttle.check(attempt);
    } catch (error) {
      await this.audit.record({ actorId, action, outcome: 'failure', reason: 'throttled' });
      throw error;
    }
  }

  /**
   * Audits the failure and counts it against this address for this name; from
   * LOGIN_MAX_FAILURES on, the address waits, growing (SignInThrottle). Every failure answers
   * the same.
   */
  private async failAndCount(
    attempt: SignInAttempt,
    userId: string | null,
    reason: string,
    action = SIGN_IN,
    answer = IdentityError.InvalidCredentials,
  ): Promise<never> {
    await this.countFailure(attempt, userId, reason, action);
    throw new IdentityException(answer);
  }

  /** Audits a failure and counts it against this address for this name, without answering. */
  private async countFailure(
    attempt: SignInAttempt,
    userId: string | null,
    reason: string,
    action = SIGN_IN,
  ): Promise<void> {
    const wait = await this.throttle.failed(attempt);
    const events: AuditEvent[] = [
      {
        actorId: userId,
        action,
        recordType: 'user',
        recordId: userId ?? undefined,
        outcome: 'failure',
        reason,
      },
    ];
    if (wait > 0)
      events.push({
        actorId: userId,
        action: 'auth.throttle',
        recordType: 'user',
        recordId: userId ?? undefined,
        outcome: 'success',
        reason: 'too_many_failures',
      });
    await this.audit.record(events);
  }
}

class ReusedCode extends Error {}

/**
 * Accepts a code's step for the account, once: of two requests with the same code (or an
 * older one), exactly one passes this update; the other gets ReusedCode, which leaves the
 * caller's transaction behind (the failure is recorded on its own). At sign-in the first
 * accepted code also completes the second factor's enrolment.
 */
async function acceptCodeStep(
  em: EntityManager,
  userId: string,
  step: number,
  { completesEnrolment }: { completesEnrolment: boolean },
): Promise<void> {
  const accepted: unknown = await em.query(
    `UPDATE users SET totp_last_step = $2, ${completesEnrolment ? 'totp_enrolled = true, ' : ''}updated_at = now()
      WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id`,
    [userId, step],
  );
  if (rowsOf(accepted).length === 0) throw new ReusedCode();
}
