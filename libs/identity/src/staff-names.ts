import { Inject, Injectable } from '@nestjs/common';
import {
  affectedOf,
  DataKey,
  DecryptionError,
  EnvelopeCipher,
  KeyedHash,
  KeyRing,
  Logger,
  LOGGER,
  SealingPass,
} from '@mayak/platform';
import { DataSource } from 'typeorm';

/** What a username may look like, once normalised (the API and the command line check it too). */
export const USERNAME_SHAPE = /^[a-z0-9][a-z0-9._-]{1,62}$/;

export const normaliseUsername = (username: string): string => username.trim().toLowerCase();

const binding = (userId: string) => ({ table: 'users', id: userId, column: 'username' });

/**
 * Staff names at rest: a keyed pseudonym to find an account by (`users.username_hash`, unique)
 * and the name sealed under the user's own data key to show it (`users.username_enc`). Without
 * the keys a seized database names nobody, and a name cannot even be tested against it.
 */
@Injectable()
export class StaffNames {
  constructor(
    private readonly cipher: EnvelopeCipher,
    private readonly hash: KeyedHash,
  ) {}

  /** The lookup key of a name as typed: the same for every spelling that normalises alike. */
  lookupHash(username: string): Buffer {
    return this.hash.pseudonym('username', normaliseUsername(username));
  }

  seal(dek: DataKey, userId: string, username: string): Buffer {
    return this.cipher.encrypt(dek, binding(userId), normaliseUsername(username));
  }

  /** The name of one account, from its row (`dek_wrapped`, `username_enc`). */
  open(userId: string, dekWrapped: Buffer, usernameEnc: Buffer): string {
    const dek = this.cipher.unwrapDataKey('users', userId, dekWrapped);
    return this.cipher.decrypt(dek, binding(userId), usernameEnc);
  }
}

/**
 * Seals the usernames an older version stored in plaintext (see the StaffProtection
 * migration): whenever this process gets the keys, every row with a plaintext name gets its
 * hash and ciphertext, and loses the name, one row per statement so that a concurrent pass in
 * another process only finds nothing left to do. Sign-in waits for the pass (`settled`).
 */
@Injectable()
export class UsernameSealing extends SealingPass {
  constructor(
    private readonly db: DataSource,
    private readonly names: StaffNames,
    private readonly cipher: EnvelopeCipher,
    ring: KeyRing,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ring, logger, 'usernames');
  }

  /** Seals every plaintext username left; returns how many this call sealed. */
  async sealRemaining(): Promise<number> {
    const rows: Array<{ id: string; username: string; dek_wrapped: Buffer }> = await this.db.query(
      `SELECT id, username, dek_wrapped FROM users WHERE username IS NOT NULL`,
    );
    let sealed = 0;
    for (const row of rows) {
      let dek: DataKey;
      let resetTotp = false;
      try {
        dek = this.cipher.unwrapDataKey('users', row.id, row.dek_wrapped);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        // A data key that does not open (a placeholder, or one under a destroyed master key)
        // protects nothing readable: a new one takes its place, and whatever the old one
        // sealed (a second factor) must be set up again.
        dek = this.cipher.newDataKey('users', row.id);
        resetTotp = true;
      }
      const result: unknown = await this.db.query(
        `UPDATE users SET username_hash = $2, username_enc = $3, dek_wrapped = $4, username = NULL,
                ${resetTotp ? 'totp_secret_enc = NULL, totp_enrolled = false, totp_last_step = NULL,' : ''}
                updated_at = now()
          WHERE id = $1 AND username IS NOT NULL`,
        [
          row.id,
          this.names.lookupHash(row.username),
          this.names.seal(dek, row.id, row.username),
          dek.wrapped,
        ],
      );
      sealed += affectedOf(result);
    }
    if (sealed > 0) this.logger.info({ sealed }, 'plaintext usernames sealed');
    return sealed;
  }
}
