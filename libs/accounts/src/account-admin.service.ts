import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  AccessControl,
  mayChangeAccount,
  needsTwoPeople,
  OPERATOR,
  Principal,
  TwoPersonRole,
} from '@mayak/access';
import { AuditEvent, AuditSearch, AuditTrail } from '@mayak/audit';
import {
  Actor,
  EnrolmentService,
  IdentityError,
  IdentityException,
  IssuedEnrolment,
  normaliseUsername,
  newTotpSecret,
  NO_PASSWORD,
  PasswordHasher,
  Role,
  SessionService,
  StaffNames,
  USERNAME_SHAPE,
  UserEntity,
} from '@mayak/identity';
import { EnvelopeCipher, PgError, pgErrorCode } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { RoleGrantsService } from './role-grants.service';

export interface NewAccount {
  username: string;
  /** Only from the command line: through the API the owner sets it when they enrol. */
  password?: string;
  roles: Role[];
}

export interface AccountView {
  id: string;
  username: string;
  roles: Role[];
  /** Roles proposed for the account and waiting for a second person (RoleGrantsService). */
  pendingRoles: Role[];
  disabled: boolean;
  /** Made (or reissued a code) through the API, and its owner has not enrolled yet. */
  awaitingEnrolment: boolean;
  totpEnrolled: boolean;
  createdAt: Date;
  /** The last successful sign-in, to the hour; null if never (or not since the trail began). */
  lastSignInAt: Date | null;
}

/** An account made or reset through the API: its one-time enrolment code, shown once. */
export interface AccountWithEnrolment extends AccountView {
  enrolment: IssuedEnrolment;
}

/** Who acts when an operator uses the command line (libs/access): no session, recorded as such. */
export { OPERATOR };
export type AdminActor = Principal;

/**
 * Account administration: admins (and operators at the command line) create accounts, set
 * roles, disable accounts and reset second factors. Any change that narrows what a user may
 * do ends their sessions in the same transaction.
 *
 * Separation of duties (issue 12.1): through the API an account is made without a password
 * (its owner enrols with a one-time code, EnrolmentService), and a role that needs two people
 * is only proposed (RoleGrantsService). The operator at the command line, who holds the
 * machine and its keys, makes accounts with a password and every role at once.
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
    private readonly enrolment: EnrolmentService,
    private readonly grants: RoleGrantsService,
    private readonly trail: AuditSearch,
  ) {}

  /** Every account, by name. Names are sealed, so they are opened and sorted here. */
  async list(actor: Actor): Promise<AccountView[]> {
    await this.access.requireCapability(actor, 'user:manage');
    const users = await this.db.getRepository(UserEntity).find();
    const pending = await this.grants.pendingRolesByUser();
    const signIns = await this.trail.lastSignIns(users.map((u) => u.id));
    return users.map((u) => this.view(u, pending.get(u.id), signIns.get(u.id))).sort(byUsername);
  }

  /**
   * Accounts whose name starts with `query` (normalised as sign-in does). Names are sealed
   * (docs/security/seizure.md, "Staff"): the database cannot compare them, so they are opened
   * and matched here, which is cheap for the hundreds of accounts a helpline has. The query
   * travels in a request body and is never written down: it is a fragment of a name.
   */
  async search(actor: Actor, query: string): Promise<AccountView[]> {
    const prefix = normaliseUsername(query);
    return (await this.list(actor)).filter((a) => a.username.startsWith(prefix));
  }

  /**
   * Creates an account. From the command line, with the operator's password for it, every
   * role, and the second factor set up at once (its secret returned to the operator). Through
   * the API, with no password: the answer carries a one-time enrolment code for its owner,
   * and roles that need two people are proposed, not granted.
   */
  async create(actor: Actor, input: Omit<NewAccount, 'password'>): Promise<AccountWithEnrolment>;
  async create(
    actor: typeof OPERATOR,
    input: NewAccount & { password: string },
  ): Promise<AccountView & { totpSecret: string }>;
  async create(
    actor: AdminActor,
    input: NewAccount,
  ): Promise<AccountView & { totpSecret?: string; enrolment?: IssuedEnrolment }> {
    await this.access.requireCapability(actor, 'user:manage');
    // Every account is granted a role; a stolen session token alone cannot make one (12.4).
    await this.access.requireRecentAuthentication(actor, 'user.create');
    const username = normaliseUsername(input.username);
    // The database sees only the hash and the ciphertext, so it cannot check the shape itself.
    if (!USERNAME_SHAPE.test(username)) throw new Error('username does not have the allowed shape');
    const id = randomUUID();
    const dek = this.cipher.newDataKey('users', id);
    const operator = actor === OPERATOR;
    if (operator && input.password === undefined)
      throw new Error('the command line sets a password for the account');
    const totpSecret = operator ? newTotpSecret() : undefined;
    const passwordHash =
      operator && input.password !== undefined
        ? await this.hasher.hash(input.password)
        : NO_PASSWORD;
    const requested = [...new Set(input.roles)];
    const proposed = operator ? [] : requested.filter(needsTwoPeople);
    let enrolment: IssuedEnrolment | undefined;
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
            requested.filter((r) => !proposed.includes(r as TwoPersonRole)),
            dek.wrapped,
            totpSecret
              ? this.cipher.encrypt(dek, { table: 'users', id, column: 'totp_secret' }, totpSecret)
              : null,
            totpSecret !== undefined,
            actorId(actor),
          ],
        );
        const events: AuditEvent[] = [];
        if (actor !== OPERATOR) {
          enrolment = await this.enrolment.issue(em, id);
          events.push(...(await this.grants.propose(em, actor, id, proposed, 'admin')));
        }
        await this.audit.record(
          [
            {
              actorId: actorId(actor),
              action: 'user.create',
              recordType: 'user',
              recordId: id,
              outcome: 'success',
              reason: reasonOf(actor),
            },
            ...events,
          ],
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
    return { ...this.view(created, proposed), totpSecret, enrolment };
  }

  /**
   * Sets an account's roles. Roles taken away and `volunteer` apply at once; through the
   * API a role that needs two people and is not held yet is proposed instead
   * (RoleGrantsService). The account's sessions end.
   */
  async setRoles(actor: AdminActor, userId: string, roles: Role[]): Promise<AccountView> {
    await this.requireAdmin(actor, userId);
    await this.access.requireRecentAuthentication(actor, 'user.set_roles', {
      type: 'user',
      id: userId,
    });
    const requested = [...new Set(roles)];
    return this.change(actor, userId, 'user.set_roles', async (em, current) => {
      const proposed =
        actor === OPERATOR
          ? []
          : requested.filter(
              (r): r is TwoPersonRole => needsTwoPeople(r) && !current.roles.includes(r),
            );
      const applied = requested.filter((r) => !proposed.includes(r as TwoPersonRole));
      // A role added is a grant: who made it and when are kept (reassignment to it, 12.1).
      await em.query(
        `UPDATE users SET
           roles_granted_at = CASE WHEN NOT ($2::text[] <@ roles) THEN now() ELSE roles_granted_at END,
           roles_granted_by = CASE WHEN NOT ($2::text[] <@ roles) THEN $3::uuid ELSE roles_granted_by END,
           roles_confirmed_by = CASE WHEN NOT ($2::text[] <@ roles) THEN NULL ELSE roles_confirmed_by END,
           roles = $2
         WHERE id = $1`,
        [userId, applied, actorId(actor)],
      );
      return actor === OPERATOR ? [] : this.grants.propose(em, actor, userId, proposed, 'admin');
    });
  }

  /**
   * A new one-time enrolment code for the account, replacing any earlier one: for an owner
   * whose code expired or who lost their password. The account loses its password and second
   * factor (its sessions end), and the roles it held that need two people go back to being
   * proposals: whoever holds the code could be the admin, and must not become a lawyer by it.
   */
  async reissueEnrolment(actor: Actor, userId: string): Promise<AccountWithEnrolment> {
    await this.requireAdmin(actor, userId);
    // The code is a credential for someone else's account: a stolen session alone cannot get one.
    await this.access.requireRecentAuthentication(actor, 'user.enrolment_reissue', {
      type: 'user',
      id: userId,
    });
    let enrolment: IssuedEnrolment | undefined;
    const view = await this.change(actor, userId, 'user.enrolment_reissue', async (em, current) => {
      const withdrawn = current.roles.filter(needsTwoPeople);
      await em.query(
        `UPDATE users SET password_hash = $2, duress_password_hash = NULL, totp_secret_enc = NULL,
                  totp_enrolled = false, totp_last_step = NULL, roles = $3
            WHERE id = $1`,
        [userId, NO_PASSWORD, current.roles.filter((r) => !needsTwoPeople(r))],
      );
      enrolment = await this.enrolment.issue(em, userId);
      return this.grants.propose(em, actor, userId, withdrawn, 'admin');
    });
    return { ...view, enrolment: enrolment! };
  }

  async disable(actor: AdminActor, userId: string): Promise<AccountView> {
    await this.requireAdmin(actor, userId);
    return this.change(
      actor,
      userId,
      'user.disable',
      set(`disabled_at = coalesce(disabled_at, now())`),
    );
  }

  async enable(actor: AdminActor, userId: string): Promise<AccountView> {
    await this.requireAdmin(actor, userId);
    return this.change(actor, userId, 'user.enable', set(`disabled_at = NULL`));
  }

  /** The user sets up a new second factor at their next sign-in (POST /api/auth/totp/enrol). */
  async resetTotp(actor: AdminActor, userId: string): Promise<AccountView> {
    await this.requireAdmin(actor, userId);
    return this.change(
      actor,
      userId,
      'user.reset_totp',
      set(`totp_secret_enc = NULL, totp_enrolled = false, totp_last_step = NULL`),
    );
  }

  private view(user: UserEntity, pendingRoles: Role[] = [], lastSignInAt?: Date): AccountView {
    return {
      id: user.id,
      username: this.names.open(user.id, user.dekWrapped, user.usernameEnc),
      roles: user.roles,
      pendingRoles,
      disabled: user.disabledAt !== null,
      awaitingEnrolment: user.passwordHash === NO_PASSWORD,
      totpEnrolled: user.totpEnrolled,
      createdAt: user.createdAt,
      lastSignInAt: lastSignInAt ?? null,
    };
  }

  private async requireAdmin(actor: AdminActor, userId: string): Promise<void> {
    await this.access.requireCapability(actor, 'user:manage', { type: 'user', id: userId });
    if (!mayChangeAccount(actor, userId))
      throw new IdentityException(IdentityError.CannotChangeOwnAccount);
  }

  /**
   * One change to one account, in one transaction: the row locked, `apply` run (it may return
   * audit events of its own), the account's sessions ended, the change audited last.
   */
  private async change(
    actor: AdminActor,
    userId: string,
    action: string,
    apply: Change,
  ): Promise<AccountView> {
    return this.db.transaction(async (em) => {
      const rows: Array<{ id: string; roles: Role[] }> = await em.query(
        `SELECT id, roles FROM users WHERE id = $1 FOR UPDATE`,
        [userId],
      );
      if (!rows[0]) throw new IdentityException(IdentityError.UserNotFound);
      const events = await apply(em, rows[0]);
      await em.query(`UPDATE users SET updated_at = now() WHERE id = $1`, [userId]);
      await this.sessions.revokeAllOf(userId, em);
      await this.audit.record(
        [
          {
            actorId: actorId(actor),
            action,
            recordType: 'user',
            recordId: userId,
            outcome: 'success',
            reason: reasonOf(actor),
          },
          ...events,
        ],
        em,
      );
      const user = await em.getRepository(UserEntity).findOneByOrFail({ id: userId });
      return this.view(
        user,
        (await this.grants.pendingRolesByUser(em)).get(userId),
        (await this.trail.lastSignIns([userId])).get(userId),
      );
    });
  }
}

type Change = (em: EntityManager, current: { id: string; roles: Role[] }) => Promise<AuditEvent[]>;

/** A change that is one SET clause. */
const set =
  (clause: string): Change =>
  async (em, current) => {
    await em.query(`UPDATE users SET ${clause} WHERE id = $1`, [current.id]);
    return [];
  };

const actorId = (actor: AdminActor): string | null => (actor === OPERATOR ? null : actor.userId);
const reasonOf = (actor: AdminActor): string | undefined =>
  actor === OPERATOR ? 'operator_cli' : undefined;

const byUsername = (a: AccountView, b: AccountView): number =>
  a.username < b.username ? -1 : a.username > b.username ? 1 : 0;
