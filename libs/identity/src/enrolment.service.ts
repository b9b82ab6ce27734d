import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Secret } from 'otpauth';
import { AuditTrail } from '@mayak/audit';
import { Clock, EnvelopeCipher } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { IdentityError, IdentityException } from './identity.exception';
import { PasskeyService } from './passkeys.service';
import { NO_PASSWORD, PasswordHasher } from './password-hasher';
import { StaffNames } from './staff-names';
import { newTotpSecret, otpauthUri } from './totp';

/** How long an enrolment code works: a day, enough to hand it over out of band. */
export const ENROLMENT_CODE_MS = 24 * 3_600_000;

/**
 * 160 random bits as 32 base32 characters (RFC 4648: read out or typed by hand, case and dashes
 * do not matter), in groups of four: what otpauth draws for a TOTP secret, from node's CSPRNG.
 */
function newCode(): string {
  return new Secret({ size: 20 }).base32.match(/.{4}/g)!.join('-');
}

const normaliseCode = (code: string): string => code.toUpperCase().replace(/[^A-Z2-7]/g, '');
const hashOf = (code: string): Buffer =>
  createHash('sha256')
    .update(`mayak-enrolment:${normaliseCode(code)}`)
    .digest();

export interface IssuedEnrolment {
  /** Shown once to whoever made the account, to hand over; only its hash is kept. */
  code: string;
  expiresAt: Date;
}

export interface Enrolled {
  username: string;
  /** The new second factor: the first sign-in with a code from it completes its enrolment. */
  otpauthUri: string;
  secret: string;
}

/**
 * First sign-in of an account made through the API (issue 12.1). Its maker never knows a
 * working credential: the account has no password (NO_PASSWORD) until its owner brings the
 * one-time code, sets their own password and gets a fresh second factor. A code works once,
 * for ENROLMENT_CODE_MS; a new one replaces the old.
 */
@Injectable()
export class EnrolmentService {
  constructor(
    private readonly db: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly cipher: EnvelopeCipher,
    private readonly names: StaffNames,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    private readonly passkeys: PasskeyService,
  ) {}

  /** A new code for the account, replacing any earlier one; inside the caller's transaction. */
  async issue(em: EntityManager, userId: string): Promise<IssuedEnrolment> {
    const code = newCode();
    const expiresAt = new Date(this.clock.now().getTime() + ENROLMENT_CODE_MS);
    await em.query(
      `INSERT INTO enrolment_codes (user_id, code_hash, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at`,
      [userId, hashOf(code), expiresAt],
    );
    return { code, expiresAt };
  }

  /**
   * Spends the code: sets the owner's password and a new, not yet confirmed second factor.
   * Every way a code can be wrong answers the same and is audited without the code.
   */
  async enrol(code: string, password: string): Promise<Enrolled> {
    const passwordHash = await this.hasher.hash(password);
    const secret = newTotpSecret();
    const outcome = await this.db.transaction(async (em) => {
      const rows: Array<{
        user_id: string;
        expires_at: Date;
        usable: boolean;
        dek_wrapped: Buffer;
        username_enc: Buffer;
      }> = await em.query(
        `SELECT e.user_id, e.expires_at, u.disabled_at IS NULL AND u.password_hash = $2 AS usable,
                u.dek_wrapped, u.username_enc
           FROM enrolment_codes e JOIN users u ON u.id = e.user_id
          WHERE e.code_hash = $1 FOR UPDATE OF e, u`,
        [hashOf(code), NO_PASSWORD],
      );
      const row = rows[0];
      if (!row) return { failed: 'unknown_code', userId: null } as const;
      if (row.expires_at.getTime() <= this.clock.now().getTime())
        return { failed: 'expired', userId: row.user_id } as const;
      if (!row.usable) return { failed: 'not_usable', userId: row.user_id } as const;
      const id = row.user_id;
      const dek = this.cipher.unwrapDataKey('users', id, row.dek_wrapped);
      await em.query(`DELETE FROM enrolment_codes WHERE user_id = $1`, [id]);
      // Starting over (a lost phone or key): the old passkeys go with the old code's factor;
      // a passkey role registers a new one at its first sign-in.
      await this.passkeys.removeAllOf(id, em);
      await em.query(
        `UPDATE users SET password_hash = $2, totp_secret_enc = $3, totp_enrolled = false,
                totp_last_step = NULL, updated_at = now()
          WHERE id = $1`,
        [
          id,
          passwordHash,
          this.cipher.encrypt(dek, { table: 'users', id, column: 'totp_secret' }, secret),
        ],
      );
      await this.audit.record(
        { actorId: id, action: 'auth.enrol', recordType: 'user', recordId: id, outcome: 'success' },
        em,
      );
      return { userId: id, username: this.names.open(id, row.dek_wrapped, row.username_enc) };
    });
    if ('failed' in outcome) {
      await this.audit.record({
        actorId: outcome.userId,
        action: 'auth.enrol',
        recordType: outcome.userId ? 'user' : undefined,
        recordId: outcome.userId ?? undefined,
        outcome: 'failure',
        reason: outcome.failed,
      });
      throw new IdentityException(IdentityError.EnrolmentCodeInvalid);
    }
    return {
      username: outcome.username,
      otpauthUri: otpauthUri(secret, outcome.username),
      secret,
    };
  }
}
