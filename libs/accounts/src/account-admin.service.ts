import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl, mayChangeAccount, OPERATOR, Principal } from '@mayak/access';
import { AuditTrail } from '@mayak/audit';
import {
  Actor,
  IdentityError,
  IdentityException,
  normaliseUsername,
  newTotpSecret,
  PasswordHasher,
  Role,
  SessionService,
  StaffNames,
  USERNAME_SHAPE,
  UserEntity,
} from '@mayak/identity';
import { EnvelopeCipher, PgError, pgErrorCode, rowsOf } from '@mayak/platform';
import { DataSource } from 'typeorm';

export interface NewAccount {
  username: string;
  password: string;
  roles: Role[];
}

export interface AccountView {
  id: string;
  username: string;
  roles: Role[];
  disabled: boolean;
  totpEnrolled: boolean;
  createdAt: Date;
}

/** Who acts when an operator uses the command line (libs/access): no session, recorded as such. */
export { OPERATOR };
export type AdminActor = Principal;

/**
 * Account administration: admins (and operators at the command line) create accounts, set
 * roles, disable accounts and reset second factors. Any change that narrows what a user may
 * do ends their sessions in the same transaction.
 */
@Injectable()
export class AccountAdminService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly cipher: EnvelopeCipher,
    private readonly names: StaffNames,
  ) {}

  /** Every account, by name. Names are sealed, so they are opened and sorted here. */
  async list(actor: Actor): Promise<AccountView[]> {
    await this.access.requireCapability(actor, 'user:manage');
    const users = await this.db.getRepository(UserEntity).find();
    return users.map((u) => this.view(u)).sort(byUsername);
  }

  /**
   * Creates an account. From the command line the second factor is set up at once and its
   * secret returned to the operator; through the API the user enrols it at first sign-in.
   */
  async create(
    actor: AdminActor,
    input: NewAccount,
  ): Promise<AccountView & { totpSecret?: string }> {
    await this.access.requireCapability(actor, 'user:manage');
    const username = normaliseUsername(input.username);
    // The database sees only the hash and the ciphertext, so it cannot check the shape itself.
    if (!USERNAME_SHAPE.test(username)) throw new Error('username does not have the allowed shape');
    const id = randomUUID();
    const dek = this.cipher.newDataKey('users', id);
    const totpSecret = actor === OPERATOR ? newTotpSecret() : undefined;
    const passwordHash = await this.hasher.hash(input.password);
    try {
      await this.db.transaction(async (em) => {
        await em.query(
          `INSERT INTO users (id, username_hash, username_enc, password_hash, roles, dek_wrapped, totp_secret_enc, totp_enrolled, roles_granted_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            id,
            this.names.lookupHash(username),
            this.names.seal(dek, id, username),
            passwordHash,
            [...new Set(input.roles)],
            dek.wrapped,
            totpSecret
              ? this.cipher.encrypt(dek, { table: 'users', id, column: 'totp_secret' }, totpSecret)
              : null,
            totpSecret !== undefined,
            actorId(actor),
          ],
        );
        await this.audit.record(
          {
            actorId: actorId(actor),
            action: 'user.create',
            recordType: 'user',
            recordId: id,
            outcome: 'success',
            reason: reasonOf(actor),
          },
          em,
        );
      });
    } catch (error) {
      // Only the hash's unique index can be violated; its DETAIL line would show the hash.
      if (pgErrorCode(error) === PgError.UniqueViolation)
        throw new IdentityException(IdentityError.UsernameTaken);
      throw error;
    }
    const created = await this.db.getRepository(UserEntity).findOneByOrFail({ id });
    return { ...this.view(created), totpSecret };
  }

  async setRoles(actor: AdminActor, userId: string, roles: Role[]): Promise<AccountView> {
    await this.requireAdmin(actor, userId);
    // A role added is a grant: who made it and when are kept (reassignment to it, 12.1).
    return this.change(
      actor,
      userId,
      'user.set_roles',
      `roles_granted_at = CASE WHEN NOT ($2::text[] <@ roles) THEN now() ELSE roles_granted_at END,
       roles_granted_by = CASE WHEN NOT ($2::text[] <@ roles) THEN $3::uuid ELSE roles_granted_by END,
       roles = $2`,
      [[...new Set(roles)], actorId(actor)],
    );
  }

  async disable(actor: AdminActor, userId: string): Promise<AccountView> {
    await this.requireAdmin(actor, userId);
    return this.change(
      actor,
      userId,
      'user.disable',
      `disabled_at = coalesce(disabled_at, now())`,
      [],
    );
  }

  async enable(actor: AdminActor, userId: string): Promise<AccountView> {
    await this.requireAdmin(actor, userId);
    return this.change(actor, userId, 'user.enable', `disabled_at = NULL`, []);
  }

  /** The user sets up a new second factor at their next sign-in (POST /api/auth/totp/enrol). */
  async resetTotp(actor: AdminActor, userId: string): Promise<AccountView> {
    await this.requireAdmin(actor, userId);
    return this.change(
      actor,
      userId,
      'user.reset_totp',
      `totp_secret_enc = NULL, totp_enrolled = false, totp_last_step = NULL`,
      [],
    );
  }

  private view(user: UserEntity): AccountView {
    return {
      id: user.id,
      username: this.names.open(user.id, user.dekWrapped, user.usernameEnc),
      roles: user.roles,
      disabled: user.disabledAt !== null,
      totpEnrolled: user.totpEnrolled,
      createdAt: user.createdAt,
    };
  }

  private async requireAdmin(actor: AdminActor, userId: string): Promise<void> {
    await this.access.requireCapability(actor, 'user:manage', { type: 'user', id: userId });
    if (!mayChangeAccount(actor, userId))
      throw new IdentityException(IdentityError.CannotChangeOwnAccount);
  }

  private async change(
    actor: AdminActor,
    userId: string,
    action: string,
    set: string,
    params: unknown[],
  ): Promise<AccountView> {
    return this.db.transaction(async (em) => {
      const result: unknown = await em.query(
        `UPDATE users SET ${set}, updated_at = now() WHERE id = $1 RETURNING id`,
        [userId, ...params],
      );
      if (rowsOf(result).length === 0) throw new IdentityException(IdentityError.UserNotFound);
      await this.sessions.revokeAllOf(userId, em);
      await this.audit.record(
        {
          actorId: actorId(actor),
          action,
          recordType: 'user',
          recordId: userId,
          outcome: 'success',
          reason: reasonOf(actor),
        },
        em,
      );
      return this.view(await em.getRepository(UserEntity).findOneByOrFail({ id: userId }));
    });
  }
}

const actorId = (actor: AdminActor): string | null => (actor === OPERATOR ? null : actor.userId);
const reasonOf = (actor: AdminActor): string | undefined =>
  actor === OPERATOR ? 'operator_cli' : undefined;

const byUsername = (a: AccountView, b: AccountView): number =>
  a.username < b.username ? -1 : a.username > b.username ? 1 : 0;
