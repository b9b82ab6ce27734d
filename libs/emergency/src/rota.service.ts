import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl, AccessError, AccessException } from '@mayak/access';
import { activeCoordinatorIds, Actor, Role, StaffNames } from '@mayak/identity';
import { affectedOf, AppConfig } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { EmergencyError, EmergencyException } from './emergency.exception';

export type Tier = 1 | 2 | 3;

export interface Shift {
  id: string;
  userId: string;
  username: string;
  tier: Tier;
  startsAt: Date;
  endsAt: Date;
}

export interface RotaView {
  shifts: Shift[];
  /** Seconds each tier has to acknowledge before the next is paged. */
  ackTimeoutSeconds: Record<Tier, number>;
}

const TIER_ROLE: Record<Tier, Role> = { 1: 'responder', 2: 'responder', 3: 'coordinator' };

/**
 * The on-call rota: who is on call at tier 1, 2 and 3 (coordinators on duty), when. Managed
 * by coordinators; read by the pager at the moment it pages.
 */
@Injectable()
export class RotaService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly config: AppConfig,
    private readonly names: StaffNames,
  ) {}

  async list(actor: Actor, from?: Date, to?: Date): Promise<RotaView> {
    await this.access.requireCapability(actor, 'rota:manage');
    const rows: Array<{
      id: string;
      user_id: string;
      dek_wrapped: Buffer;
      username_enc: Buffer;
      tier: Tier;
      starts_at: Date;
      ends_at: Date;
    }> = await this.db.query(
      `SELECT s.id, s.user_id, u.dek_wrapped, u.username_enc, s.tier, s.starts_at, s.ends_at
         FROM rota_shifts s JOIN users u ON u.id = s.user_id
        WHERE s.ends_at > coalesce($1, now() - interval '1 day') AND s.starts_at < coalesce($2, now() + interval '14 days')
        ORDER BY s.starts_at, s.tier`,
      [from ?? null, to ?? null],
    );
    return {
      shifts: rows.map((r) => ({
        id: r.id,
        userId: r.user_id,
        username: this.names.open(r.user_id, r.dek_wrapped, r.username_enc),
        tier: r.tier,
        startsAt: r.starts_at,
        endsAt: r.ends_at,
      })),
      ackTimeoutSeconds: await this.timeouts(this.db.manager),
    };
  }

  async addShift(
    actor: Actor,
    shift: { userId: string; tier: Tier; startsAt: Date; endsAt: Date },
  ): Promise<Shift> {
    await this.access.requireCapability(actor, 'rota:manage');
    const users: Array<{ dek_wrapped: Buffer; username_enc: Buffer; roles: Role[] }> =
      await this.db.query(
        `SELECT dek_wrapped, username_enc, roles FROM users WHERE id = $1 AND disabled_at IS NULL`,
        [shift.userId],
      );
    if (!users[0]) throw new AccessException(AccessError.NotFound);
    if (!users[0].roles.includes(TIER_ROLE[shift.tier]))
      throw new EmergencyException(EmergencyError.WrongTierRole);
    const id = randomUUID();
    await this.db.query(
      `INSERT INTO rota_shifts (id, user_id, tier, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, shift.userId, shift.tier, shift.startsAt, shift.endsAt, actor.userId],
    );
    return {
      id,
      username: this.names.open(shift.userId, users[0].dek_wrapped, users[0].username_enc),
      ...shift,
    };
  }

  async removeShift(actor: Actor, id: string): Promise<void> {
    await this.access.requireCapability(actor, 'rota:manage');
    if (affectedOf(await this.db.query(`DELETE FROM rota_shifts WHERE id = $1`, [id])) === 0)
      throw new EmergencyException(EmergencyError.ShiftNotFound);
  }

  async setTierTimeout(
    actor: Actor,
    tier: Tier,
    seconds: number,
  ): Promise<RotaView['ackTimeoutSeconds']> {
    await this.access.requireCapability(actor, 'rota:manage');
    await this.db.query(
      `INSERT INTO rota_tiers (tier, ack_timeout_seconds) VALUES ($1, $2)
       ON CONFLICT (tier) DO UPDATE SET ack_timeout_seconds = $2, updated_at = now()`,
      [tier, seconds],
    );
    return this.timeouts(this.db.manager);
  }

  /** Who is on call at a tier and the tier's acknowledgement timeout, in one round trip. */
  async tierAt(
    em: EntityManager,
    tier: Tier,
    at: Date,
  ): Promise<{ onCall: string[]; timeoutSeconds: number }> {
    const [row] = await em.query<Array<{ on_call: string[]; timeout: number | null }>>(
      `SELECT coalesce((SELECT array_agg(DISTINCT s.user_id ORDER BY s.user_id)
                          FROM rota_shifts s JOIN users u ON u.id = s.user_id
                         WHERE s.tier = $1 AND s.starts_at <= $2 AND s.ends_at > $2
                           AND u.disabled_at IS NULL AND $3 = ANY(u.roles)), '{}') AS on_call,
              (SELECT ack_timeout_seconds FROM rota_tiers WHERE tier = $1) AS timeout`,
      [tier, at, TIER_ROLE[tier]],
    );
    return {
      onCall: row.on_call,
      timeoutSeconds: row.timeout ?? this.config.EMERGENCY_ACK_TIMEOUT_SECONDS,
    };
  }

  /** Every active coordinator: the last resort when tier 3 has nobody on the rota. */
  allCoordinators(em: EntityManager): Promise<string[]> {
    return activeCoordinatorIds(em);
  }

  async timeouts(em: EntityManager): Promise<Record<Tier, number>> {
    const rows: Array<{ tier: Tier; ack_timeout_seconds: number }> = await em.query(
      `SELECT tier, ack_timeout_seconds FROM rota_tiers`,
    );
    const base = this.config.EMERGENCY_ACK_TIMEOUT_SECONDS;
    const result: Record<Tier, number> = { 1: base, 2: base, 3: base };
    for (const row of rows) result[row.tier] = row.ack_timeout_seconds;
    return result;
  }
}
