import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig, KeyedHash } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, Role } from './roles';
import { StaffNames, UsernameSealing } from './staff-names';

export interface IssuedSession {
  token: string;
  expiresAt: Date;
}

/** How a session's owner proved themselves at sign-in, after the password. */
export type SecondFactor = 'totp' | 'passkey';

export interface ResolvedSession extends Actor {
  readonly sessionId: string;
  readonly username: string;
  readonly idleExpiresAt: Date;
  readonly secondFactor: SecondFactor;
}

/** Seen-at is refreshed at most this often, so a busy session is not a write per request. */
const TOUCH_AFTER_MS = 30_000;
/** The most sessions one process remembers. */
const CACHE_LIMIT = 10_000;
export const SESSION_REVOKED_CHANNEL = 'mayak_sessions';

interface Remembered {
  session: Omit<ResolvedSession, 'idleExpiresAt'>;
  lastSeen: number;
  expiresAt: number;
  rememberedAt: number;
}

const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Opaque 256-bit tokens, kept in the database only as their SHA-256. A session dies after
 * SESSION_IDLE_MINUTES without use and SESSION_ABSOLUTE_HOURS after sign-in, and at once
 * when its user signs out, is disabled, or has their roles changed.
 */
@Injectable()
export class SessionService {
  /**
   * The API's memory of live sessions, by token hash: a request then costs no query. Only
   * switched on while the process hears revocations (see SessionRevocationListener), and
   * each entry is trusted for SESSION_CACHE_SECONDS at most even then.
   */
  private readonly remembered = new Map<string, Remembered>();
  private remembering = false;
  /** Told of every session end heard, here or from another process (open streams close). */
  private readonly endedListeners = new Set<(what: string) => void>();

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly names: StaffNames,
    private readonly sealing: UsernameSealing,
    private readonly hash: KeyedHash,
  ) {}

  /**
   * The key a browser encrypts this session's unsaved drafts under (the intake form kept
   * across a reload or a crashed tab). Never stored: derived from the session's id under the
   * pseudonym key, so it exists only while the session does and Mayak is unsealed. What a
   * seized laptop holds is ciphertext whose key died with the session.
   */
  draftKey(session: Pick<ResolvedSession, 'sessionId'>): Buffer {
    if (!session.sessionId) throw new Error('a draft key needs a session');
    return this.hash.pseudonym('session-draft-key:v1', session.sessionId);
  }

  /** Called by the revocation listener: on while it is connected, off (and forgotten) otherwise. */
  setRemembering(on: boolean): void {
    this.remembering = on && this.config.SESSION_CACHE_SECONDS > 0;
    if (!this.remembering) this.remembered.clear();
  }

  /**
   * Calls `listener` with every session end this process hears of: `session:<id>` (sign-out),
   * `user:<id>` (disabled, roles changed), `all:` (lockdown). Returns the unsubscribe.
   */
  onEnded(listener: (what: string) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** A revocation heard from any process: `user:<id>`, `session:<id>`, or `all:` (lockdown). */
  forget(what: string): void {
    const [kind, id] = what.split(':');
    if (kind === 'all') this.remembered.clear();
    else
      for (const [hash, entry] of this.remembered)
        if (
          (kind === 'user' && entry.session.userId === id) ||
          (kind === 'session' && entry.session.sessionId === id)
        )
          this.remembered.delete(hash);
    for (const listener of this.endedListeners) listener(what);
  }

  async issue(
    userId: string,
    manager: EntityManager = this.db.manager,
    secondFactor: SecondFactor = 'totp',
  ): Promise<IssuedSession> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.SESSION_ABSOLUTE_HOURS * 3_600_000);
    // authenticated_at defaults to now(): signing in is authenticating.
    await manager.query(
      `INSERT INTO sessions (id, token_hash, user_id, expires_at, second_factor) VALUES ($1, $2, $3, $4, $5)`,
      [randomUUID(), hashToken(token), userId, expiresAt, secondFactor],
    );
    return { token, expiresAt };
  }

  async resolve(token: string): Promise<ResolvedSession | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const hash = hashToken(token);
    const key = hash.toString('hex');
    const now = Date.now();
    const entry = this.remembering ? this.remembered.get(key) : undefined;
    if (
      entry &&
      now - entry.rememberedAt < this.config.SESSION_CACHE_SECONDS * 1000 &&
      now < entry.expiresAt &&
      now - entry.lastSeen < TOUCH_AFTER_MS
    )
      return {
        ...entry.session,
        idleExpiresAt: new Date(entry.lastSeen + this.config.SESSION_IDLE_MINUTES * 60_000),
      };
    // A session from before the upgrade may belong to a name not sealed yet.
    await this.sealing.settled();
    const rows: Array<{
      id: string;
      user_id: string;
      dek_wrapped: Buffer;
      username_enc: Buffer;
      roles: Role[];
      last_seen_at: Date;
      expires_at: Date;
      second_factor: SecondFactor;
    }> = await this.db.query(
      `SELECT s.id, s.user_id, u.dek_wrapped, u.username_enc, u.roles, s.last_seen_at, s.expires_at, s.second_factor
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = $1
            AND s.expires_at > now()
            AND s.last_seen_at > now() - make_interval(mins => $2)
            AND u.disabled_at IS NULL`,
      [hash, this.config.SESSION_IDLE_MINUTES],
    );
    const row = rows[0];
    if (!row) {
      this.remembered.delete(key);
      return undefined;
    }
    let lastSeen = row.last_seen_at;
    if (Date.now() - lastSeen.getTime() > TOUCH_AFTER_MS) {
      lastSeen = new Date();
      await this.db.query(`UPDATE sessions SET last_seen_at = now() WHERE id = $1`, [row.id]);
    }
    const session = {
      sessionId: row.id,
      userId: row.user_id,
      username: this.names.open(row.user_id, row.dek_wrapped, row.username_enc),
      roles: row.roles,
      secondFactor: row.second_factor,
    };
    if (this.remembering) {
      if (this.remembered.size >= CACHE_LIMIT)
        this.remembered.delete(this.remembered.keys().next().value as string);
      this.remembered.set(key, {
        session,
        lastSeen: lastSeen.getTime(),
        expiresAt: row.expires_at.getTime(),
        rememberedAt: now,
      });
    }
    return {
      ...session,
      idleExpiresAt: new Date(lastSeen.getTime() + this.config.SESSION_IDLE_MINUTES * 60_000),
    };
  }

  /**
   * Whether the session's owner proved their password and a code within the last `minutes`:
   * at sign-in, or at a re-authentication since. Asked of the database (its clock, and never
   * the memory of sessions), so that a re-authentication on one API process counts at once on
   * every other. False for a session that is gone.
   */
  async authenticatedWithin(sessionId: string, minutes: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM sessions
        WHERE id = $1 AND expires_at > now() AND authenticated_at > now() - make_interval(mins => $2)`,
      [sessionId, minutes],
    );
    return rows.length > 0;
  }

  /** The owner has just proved their password and a code again (inside the caller's transaction). */
  async markAuthenticated(
    sessionId: string,
    manager: EntityManager = this.db.manager,
  ): Promise<void> {
    await manager.query(`UPDATE sessions SET authenticated_at = now() WHERE id = $1`, [sessionId]);
  }

  /** Ends a session here and, through NOTIFY on commit, in every API process's memory. */
  async revoke(sessionId: string): Promise<void> {
    this.forget(`session:${sessionId}`);
    await this.db.query(
      `WITH gone AS (DELETE FROM sessions WHERE id = $1) SELECT pg_notify($2, 'session:' || $1::text)`,
      [sessionId, SESSION_REVOKED_CHANNEL],
    );
  }

  async revokeAllOf(userId: string, manager: EntityManager = this.db.manager): Promise<void> {
    this.forget(`user:${userId}`);
    await manager.query(
      `WITH gone AS (DELETE FROM sessions WHERE user_id = $1) SELECT pg_notify($2, 'user:' || $1::text)`,
      [userId, SESSION_REVOKED_CHANNEL],
    );
  }

  /**
   * Ends every session of the user but `keep` (a password change ends the others), each
   * by its own id so that the streams of the session kept stay open.
   */
  async revokeOthersOf(
    userId: string,
    keep: string,
    manager: EntityManager = this.db.manager,
  ): Promise<void> {
    const gone: Array<{ id: string }> = await manager.query(
      `WITH gone AS (DELETE FROM sessions WHERE user_id = $1 AND id <> $2 RETURNING id)
       SELECT id, pg_notify($3, 'session:' || id::text) FROM gone`,
      [userId, keep, SESSION_REVOKED_CHANNEL],
    );
    for (const { id } of gone) this.forget(`session:${id}`);
  }

  /** Removes sessions that can no longer be used; part of the retention sweep. */
  async purgeExpired(): Promise<number> {
    const result: [unknown[], number] = await this.db.query(
      `DELETE FROM sessions WHERE expires_at < now() OR last_seen_at < now() - make_interval(mins => $1)`,
      [this.config.SESSION_IDLE_MINUTES],
    );
    return result[1];
  }
}
