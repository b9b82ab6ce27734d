import { Injectable } from '@nestjs/common';
import { AppConfig, KeyedHash } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { IdentityError, IdentityException } from './identity.exception';
import { StaffNames } from './staff-names';

/** Which name from where: keyed hashes, so the table says neither. */
export interface SignInAttempt {
  nameHash: Buffer;
  sourceHash: Buffer;
}

/**
 * Growing delays instead of a lock (issue 12.4). Failures are counted per name tried and
 * client address; from LOGIN_MAX_FAILURES on, each one makes that address wait before it may
 * try that name again: 1 s, 2 s, 4 s, … up to LOGIN_LOCKOUT_MINUTES. Another address is not
 * slowed, so strangers cannot lock the on-call responder out, and the right password and
 * code get in from anywhere not waiting. A name that does not exist is slowed the same way,
 * so a delay does not tell which names do. A success clears its address's count.
 */
@Injectable()
export class SignInThrottle {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly names: StaffNames,
    private readonly hash: KeyedHash,
  ) {}

  attempt(username: string, source: string): SignInAttempt {
    return {
      nameHash: this.names.lookupHash(username),
      sourceHash: this.hash.pseudonym('sign-in-source', source),
    };
  }

  /** The same attempt, from a name's keyed hash kept since (a passkey sign-in's step one). */
  attemptFor(nameHash: Buffer, source: string): SignInAttempt {
    return { nameHash, sourceHash: this.hash.pseudonym('sign-in-source', source) };
  }

  /** Throws (429, with the seconds to wait) while this address must wait for this name. */
  async check(attempt: SignInAttempt): Promise<void> {
    const rows: Array<{ wait: number }> = await this.db.query(
      `SELECT ceil(extract(epoch FROM blocked_until - now()))::int AS wait FROM sign_in_throttle
        WHERE name_hash = $1 AND source_hash = $2 AND blocked_until > now()`,
      [attempt.nameHash, attempt.sourceHash],
    );
    if (rows[0])
      throw new IdentityException(
        IdentityError.SignInThrottled,
        `Too many failed sign-ins from this address; try again in ${Math.max(1, rows[0].wait)} s.`,
      );
  }

  /** One more failure; returns the seconds this address must now wait (0 for none). */
  async failed(attempt: SignInAttempt): Promise<number> {
    const free = this.config.LOGIN_MAX_FAILURES;
    const longest = this.config.LOGIN_LOCKOUT_MINUTES * 60;
    const rows: Array<{ wait: number }> = await this.db.query(
      `INSERT INTO sign_in_throttle AS t (name_hash, source_hash, failures, blocked_until, last_failure_at)
       VALUES ($1, $2, 1, CASE WHEN $3 <= 1 THEN now() + interval '1 second' END, now())
       ON CONFLICT (name_hash, source_hash) DO UPDATE SET
         failures = t.failures + 1,
         last_failure_at = now(),
         blocked_until = CASE WHEN t.failures + 1 >= $3
           THEN now() + make_interval(secs => least($4, power(2, t.failures + 1 - $3)))
           ELSE t.blocked_until END
       RETURNING coalesce(ceil(extract(epoch FROM blocked_until - now())), 0)::int AS wait`,
      [attempt.nameHash, attempt.sourceHash, free, longest],
    );
    return Math.max(0, rows[0]?.wait ?? 0);
  }

  async succeeded(attempt: SignInAttempt): Promise<void> {
    await this.db.query(`DELETE FROM sign_in_throttle WHERE name_hash = $1 AND source_hash = $2`, [
      attempt.nameHash,
      attempt.sourceHash,
    ]);
  }
}
