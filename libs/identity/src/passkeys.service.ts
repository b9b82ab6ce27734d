import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AuditTrail } from '@mayak/audit';
import { AppConfig, EnvelopeCipher, KeyedHash, rowsOf } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { IdentityError, IdentityException } from './identity.exception';
import { Role } from './roles';
import { ResolvedSession, SessionService } from './session.service';
import { UserEntity } from './user.entity';

/** How long a ceremony's challenge lives: a person with a security key needs a minute. */
const CHALLENGE_SECONDS = 120;
const RP_NAME = 'Mayak';

export type CeremonyPurpose = 'sign_in' | 'register' | 'reauthenticate';

/** What the owner sees of a passkey: never its id or key. */
export interface PasskeyView {
  id: string;
  name: string;
  addedOn: string;
}

/** A ceremony begun: the ticket names its challenge; the options go to the browser. */
export interface Ceremony<O> {
  ticket: string;
  options: O;
}

/** A challenge taken (once) by its ticket. */
export interface TakenChallenge {
  challenge: string;
  userId: string | null;
  nameHash: Buffer | null;
  duress: boolean;
}

/** Everything about one credential, sealed under its owner's data key. */
interface SealedPasskey {
  credentialId: string;
  publicKey: string;
  counter: number;
  transports?: AuthenticatorTransportFuture[];
  name: string;
}

/**
 * Who hears of a new passkey on a passkey role's account: the notifications module, provided
 * globally so that identity need not depend on it.
 */
export const PASSKEY_NOTICE = Symbol('PASSKEY_NOTICE');
export interface PasskeyNotice {
  added(em: EntityManager, userId: string, passkeyId: string): Promise<void>;
}

/** Whether `roles` must sign in with a passkey (PASSKEY_REQUIRED_ROLES). */
export function passkeyRequiredFor(roles: readonly Role[], required: readonly string[]): boolean {
  return roles.some((r) => required.includes(r));
}

/**
 * Passkeys (WebAuthn) through @simplewebauthn/server (issue 12.4): registering, listing and
 * removing the signed-in person's own, and checking an assertion. A passkey signs the site's
 * origin into every answer, so a phishing page on another origin gets nothing it can replay.
 *
 * Credentials are discoverable (resident): sign-in options never list credential ids, so they
 * look the same whether the password was right, the name exists or has passkeys, and a seized
 * database holds credential ids only sealed (a seized security key cannot be matched to it).
 */
@Injectable()
export class PasskeyService {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly cipher: EnvelopeCipher,
    private readonly audit: AuditTrail,
    private readonly sessions: SessionService,
    private readonly hash: KeyedHash,
    @Optional() @Inject(PASSKEY_NOTICE) private readonly notice?: PasskeyNotice,
  ) {}

  async list(userId: string): Promise<PasskeyView[]> {
    const user = await this.user(userId);
    const rows = await this.rows(this.db.manager, userId);
    return rows.map((row) => ({
      id: row.id,
      name: this.open(user, row).name,
      addedOn: row.addedOn,
    }));
  }

  async count(userId: string, manager: EntityManager = this.db.manager): Promise<number> {
    const rows: Array<{ n: number }> = await manager.query(
      `SELECT count(*)::int AS n FROM passkeys WHERE user_id = $1`,
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Begins registering a passkey for the signed-in person. The first needs only the session
   * (a code-only session of a passkey role can do nothing else); another needs the password
   * and a passkey proved within REAUTH_WINDOW_MINUTES, so that a stolen session cannot add
   * the thief's key.
   */
  async beginRegistration(
    actor: ResolvedSession,
  ): Promise<Ceremony<PublicKeyCredentialCreationOptionsJSON>> {
    await this.requireMayAdd(actor);
    const user = await this.user(actor.userId);
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID: this.config.webauthnRpId,
      userName: actor.username,
      // A keyed pseudonym, not the account's id: the authenticator learns no id of ours.
      userID: this.userHandle(user.id),
      attestationType: 'none',
      timeout: CHALLENGE_SECONDS * 1000,
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      excludeCredentials: (await this.rows(this.db.manager, user.id)).map((row) => ({
        id: this.open(user, row).credentialId,
      })),
    });
    const ticket = await this.storeChallenge('register', options.challenge, {
      userId: actor.userId,
      sessionId: actor.sessionId,
    });
    return { ticket, options };
  }

  /** Completes a registration begun by this session; audited. Returns the new passkey's id. */
  async completeRegistration(
    actor: ResolvedSession,
    ticket: string,
    credential: RegistrationResponseJSON,
    name: string,
  ): Promise<PasskeyView> {
    await this.requireMayAdd(actor);
    const taken = await this.takeChallenge(ticket, 'register', actor.sessionId);
    const origin = this.originOf(credential);
    if (!taken || !origin) throw new IdentityException(IdentityError.PasskeyInvalid);
    const verified = await verifyRegistrationResponse({
      response: credential,
      expectedChallenge: taken.challenge,
      expectedOrigin: origin,
      expectedRPID: this.config.webauthnRpId,
      requireUserVerification: false,
    }).catch(() => undefined);
    if (!verified?.verified) throw new IdentityException(IdentityError.PasskeyInvalid);
    const user = await this.user(actor.userId);
    const id = randomUUID();
    const sealed: SealedPasskey = {
      credentialId: verified.registrationInfo.credential.id,
      publicKey: Buffer.from(verified.registrationInfo.credential.publicKey).toString('base64url'),
      counter: verified.registrationInfo.credential.counter,
      transports: verified.registrationInfo.credential.transports,
      name,
    };
    const added = await this.db.transaction(async (em) => {
      const rows: Array<{ added_on: string }> = await em.query(
        `INSERT INTO passkeys (id, user_id, sealed) VALUES ($1, $2, $3) RETURNING added_on::text`,
        [id, user.id, this.seal(user, id, sealed)],
      );
      await this.audit.record(
        {
          actorId: actor.userId,
          action: 'auth.passkey_added',
          recordType: 'user',
          recordId: actor.userId,
          outcome: 'success',
        },
        em,
      );
      // A coordinator's or admin's first passkey needs only the code: the others hear of it.
      if (passkeyRequiredFor(actor.roles, this.config.passkeyRequiredRoles))
        await this.notice?.added(em, actor.userId, id);
      return rows[0].added_on;
    });
    return { id, name, addedOn: added };
  }

  /**
   * Removes one of the signed-in person's passkeys, after a recent re-authentication. The last
   * passkey of a role that needs one stays: removing it would leave only the code.
   */
  async remove(actor: ResolvedSession, passkeyId: string): Promise<void> {
    await this.requireRecent(actor);
    await this.db.transaction(async (em) => {
      const owned = rowsOf(
        await em.query(`SELECT id FROM passkeys WHERE id = $1 AND user_id = $2 FOR UPDATE`, [
          passkeyId,
          actor.userId,
        ]),
      );
      if (owned.length === 0) throw new IdentityException(IdentityError.PasskeyNotFound);
      if (
        passkeyRequiredFor(actor.roles, this.config.passkeyRequiredRoles) &&
        (await this.count(actor.userId, em)) <= 1
      )
        throw new IdentityException(IdentityError.LastPasskey);
      await em.query(`DELETE FROM passkeys WHERE id = $1`, [passkeyId]);
      await this.audit.record(
        {
          actorId: actor.userId,
          action: 'auth.passkey_removed',
          recordType: 'user',
          recordId: actor.userId,
          outcome: 'success',
        },
        em,
      );
    });
  }

  /** Every passkey of an account goes: its owner starts over with a reissued enrolment code. */
  async removeAllOf(userId: string, manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM passkeys WHERE user_id = $1`, [userId]);
  }

  /**
   * Begins an assertion: the same options for everyone (no credential ids), a challenge kept
   * under a new ticket with what the caller knows so far.
   */
  async beginAssertion(
    purpose: 'sign_in' | 'reauthenticate',
    bound: { userId: string | null; nameHash?: Buffer; duress?: boolean; sessionId?: string },
  ): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.webauthnRpId,
      userVerification: 'preferred',
      timeout: CHALLENGE_SECONDS * 1000,
    });
    const ticket = await this.storeChallenge(purpose, options.challenge, bound);
    return { ticket, options };
  }

  /** Takes a challenge once: gone whatever happens next. Undefined if unknown, used or expired. */
  async takeChallenge(
    ticket: string,
    purpose: CeremonyPurpose,
    sessionId?: string,
  ): Promise<TakenChallenge | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(ticket)) return undefined;
    const rows: Array<{
      challenge: string;
      user_id: string | null;
      name_hash: Buffer | null;
      duress: boolean;
      session_id: string | null;
    }> = rowsOf(
      await this.db.query(
        `DELETE FROM passkey_challenges WHERE id = $1 AND purpose = $2 AND expires_at > now()
          RETURNING challenge, user_id, name_hash, duress, session_id`,
        [ticket, purpose],
      ),
    );
    const row = rows[0];
    if (!row) return undefined;
    if (sessionId !== undefined && row.session_id !== sessionId) return undefined;
    return {
      challenge: row.challenge,
      userId: row.user_id,
      nameHash: row.name_hash,
      duress: row.duress,
    };
  }

  /**
   * Whether `credential` is a valid assertion over `challenge` by one of `userId`'s passkeys
   * from an allowed origin. A good one moves that passkey's counter on; a counter that went
   * back (a cloned key) fails.
   */
  async verifyAssertion(
    userId: string,
    challenge: string,
    credential: AuthenticationResponseJSON,
  ): Promise<boolean> {
    const origin = this.originOf(credential);
    if (!origin || typeof credential?.id !== 'string') return false;
    const user = await this.user(userId);
    for (const row of await this.rows(this.db.manager, userId)) {
      const passkey = this.open(user, row);
      if (passkey.credentialId !== credential.id) continue;
      const verified = await verifyAuthenticationResponse({
        response: credential,
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: this.config.webauthnRpId,
        credential: {
          id: passkey.credentialId,
          publicKey: Buffer.from(passkey.publicKey, 'base64url'),
          counter: passkey.counter,
          transports: passkey.transports,
        },
        requireUserVerification: false,
      }).catch(() => undefined);
      if (!verified?.verified) return false;
      const updated = { ...passkey, counter: verified.authenticationInfo.newCounter };
      await this.db.query(`UPDATE passkeys SET sealed = $2 WHERE id = $1`, [
        row.id,
        this.seal(user, row.id, updated),
      ]);
      return true;
    }
    return false;
  }

  /**
   * The first passkey: any session of the account. Another: a session that signed in with a
   * passkey where the role needs one (a code-only session registers the first and nothing
   * more), re-authenticated within the window.
   */
  private async requireMayAdd(actor: ResolvedSession): Promise<void> {
    if ((await this.count(actor.userId)) === 0) return;
    if (
      passkeyRequiredFor(actor.roles, this.config.passkeyRequiredRoles) &&
      actor.secondFactor !== 'passkey'
    )
      throw new IdentityException(
        IdentityError.PasskeyRegistrationRequired,
        'Sign in with your passkey to add another.',
      );
    await this.requireRecent(actor);
  }

  /** Password and a passkey (or, for roles without one, a code) within the window. */
  private async requireRecent(actor: ResolvedSession): Promise<void> {
    if (
      !(await this.sessions.authenticatedWithin(actor.sessionId, this.config.REAUTH_WINDOW_MINUTES))
    ) {
      await this.audit.record({
        actorId: actor.userId,
        action: 'auth.passkey_change',
        recordType: 'user',
        recordId: actor.userId,
        outcome: 'deny',
        reason: 'reauthentication_required',
      });
      throw new IdentityException(IdentityError.ReauthenticationRequired);
    }
  }

  /**
   * The origin the browser signed into the client data, if it is one passkeys may be used
   * from; the library then checks the signature over it.
   */
  private originOf(credential: { response?: { clientDataJSON?: unknown } }): string | undefined {
    const encoded = credential?.response?.clientDataJSON;
    if (typeof encoded !== 'string') return undefined;
    try {
      const data = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as {
        origin?: unknown;
      };
      return typeof data.origin === 'string' && this.config.webauthnOriginAllowed(data.origin)
        ? data.origin
        : undefined;
    } catch {
      return undefined;
    }
  }

  private async storeChallenge(
    purpose: CeremonyPurpose,
    challenge: string,
    bound: { userId: string | null; nameHash?: Buffer; duress?: boolean; sessionId?: string },
  ): Promise<string> {
    const ticket = randomUUID();
    // Old tickets go as new ones come: the table never holds more than a few minutes' worth.
    await this.db.query(
      `WITH gone AS (DELETE FROM passkey_challenges WHERE expires_at < now())
       INSERT INTO passkey_challenges (id, purpose, user_id, name_hash, duress, session_id, challenge, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))`,
      [
        ticket,
        purpose,
        bound.userId,
        bound.nameHash ?? null,
        bound.duress ?? false,
        bound.sessionId ?? null,
        challenge,
        CHALLENGE_SECONDS,
      ],
    );
    return ticket;
  }

  /**
   * The user handle a new passkey of this account carries: a keyed pseudonym of its id. Only
   * the credential id (sealed here) and the signature decide an assertion, so a rotated key
   * that changes the pseudonym locks no one out.
   */
  private userHandle(userId: string): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.hash.pseudonym('passkey-user', userId));
  }

  private async user(userId: string): Promise<UserEntity> {
    return this.db.getRepository(UserEntity).findOneByOrFail({ id: userId });
  }

  private async rows(
    manager: EntityManager,
    userId: string,
  ): Promise<Array<{ id: string; sealed: Buffer; addedOn: string }>> {
    const rows: Array<{ id: string; sealed: Buffer; added_on: string }> = await manager.query(
      `SELECT id, sealed, added_on::text FROM passkeys WHERE user_id = $1 ORDER BY added_on, id`,
      [userId],
    );
    return rows.map((r) => ({ id: r.id, sealed: r.sealed, addedOn: r.added_on }));
  }

  private seal(user: UserEntity, id: string, passkey: SealedPasskey): Buffer {
    const dek = this.cipher.unwrapDataKey('users', user.id, user.dekWrapped);
    return this.cipher.encrypt(
      dek,
      { table: 'passkeys', id, column: 'sealed' },
      JSON.stringify(passkey),
    );
  }

  private open(user: UserEntity, row: { id: string; sealed: Buffer }): SealedPasskey {
    const dek = this.cipher.unwrapDataKey('users', user.id, user.dekWrapped);
    return JSON.parse(
      this.cipher.decrypt(dek, { table: 'passkeys', id: row.id, column: 'sealed' }, row.sealed),
    ) as SealedPasskey;
  }
}
