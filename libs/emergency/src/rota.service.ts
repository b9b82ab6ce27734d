import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl, AccessError, AccessException } from '@mayak/access';
import { activeCoordinatorIds, Actor, Role, StaffNames } from '@mayak/identity';
import { affectedOf, AppConfig, preparedStatement, rowsOf, runPrepared } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { EmergencyError, EmergencyException } from './emergency.exception';

export type Tier = 1 | 2 | 3;

/**
 * Who an emergency's first page reaches, by role and tier (never by name): the responders on
 * call at tier 1; with nobody there, tier 2's; with nobody there either, the coordinators
 * (tier 3, or every active coordinator); or nobody at all.
 */
export type FirstPaged = 'tier1' | 'tier2' | 'coordinators' | 'nobody';

export interface Shift {
  id: string;
  userId: string;
  username: string;
  tier: Tier;
  startsAt: Date;
  endsAt: Date;
}

/**
 * A weekly shift: every `weekday` (ISO: 1 Monday … 7 Sunday) at `startTime` (HH:MM on the wall
 * clock of `timeZone`, the helpline's zone when it was made) for `durationMinutes` real
 * minutes, from `startsOn` and, if set, until `untilOn` (local dates, both included).
 */
export interface Recurrence {
  id: string;
  userId: string;
  username: string;
  tier: Tier;
  weekday: number;
  startTime: string;
  durationMinutes: number;
  startsOn: string;
  untilOn: string | null;
  timeZone: string;
  /** Occurrences skipped or replaced, by local date. */
  exceptions: Array<{ occursOn: string; kind: 'skip' | 'replace' }>;
}

export interface NewRecurrence {
  userId: string;
  tier: Tier;
  weekday: number;
  startTime: string;
  durationMinutes: number;
  startsOn: string;
  untilOn?: string | null;
}

/** One occurrence of a recurring shift skipped, or given to someone else or other times. */
export type RotaExceptionInput =
  { kind: 'skip' } | { kind: 'replace'; userId: string; startsAt: Date; endsAt: Date };

/**
 * A stretch of time someone is on call, whatever made it: a one-off shift (`shiftId`) or an
 * occurrence of a recurring one (`recurrenceId` and its local date `occursOn`, `replaced`
 * when an exception gave it another person or other times). Exactly what the pager sees.
 */
export interface OnCall {
  shiftId: string | null;
  recurrenceId: string | null;
  occursOn: string | null;
  replaced: boolean;
  userId: string;
  username: string;
  tier: Tier;
  startsAt: Date;
  endsAt: Date;
}

export interface RotaView {
  /** One-off shifts in the window. */
  shifts: Shift[];
  /** Recurring shifts that have not ended before the window. */
  recurrences: Recurrence[];
  /** Everyone on call in the window, one-off and recurring, exceptions applied. */
  onCall: OnCall[];
  /** The zone recurring shifts are defined in (STATS_TIMEZONE: the helpline's zone). */
  timeZone: string;
  /** Seconds each tier has to acknowledge before the next is paged. */
  ackTimeoutSeconds: Record<Tier, number>;
}

interface RecurrenceRow {
  id: string;
  user_id: string;
  dek_wrapped: Buffer;
  username_enc: Buffer;
  tier: Tier;
  weekday: number;
  start_time: string;
  duration_minutes: number;
  starts_on: string;
  until_on: string | null;
  time_zone: string;
  exceptions: Recurrence['exceptions'];
}

const RECURRENCE_COLUMNS = `r.id, r.user_id, u.dek_wrapped, u.username_enc, r.tier, r.weekday,
  to_char(r.start_time, 'HH24:MI') AS start_time, r.duration_minutes,
  to_char(r.starts_on, 'YYYY-MM-DD') AS starts_on, to_char(r.until_on, 'YYYY-MM-DD') AS until_on,
  r.time_zone,
  coalesce((SELECT json_agg(json_build_object('occursOn', to_char(x.occurs_on, 'YYYY-MM-DD'), 'kind', x.kind)
                            ORDER BY x.occurs_on)
              FROM rota_exceptions x WHERE x.recurrence_id = r.id), '[]') AS exceptions`;

const TIER_ROLE: Record<Tier, Role> = { 1: 'responder', 2: 'responder', 3: 'coordinator' };

/**
 * Every tier's people on call (as `tierAt` reads them: enabled, holding the tier's role) and
 * timeout; tier 3 with nobody on call falls back to every active coordinator (CASE evaluates
 * that list only then).
 */
const TIERS_AT = preparedStatement(
  'rota.tiers-at',
  `WITH on_call AS MATERIALIZED (
     SELECT DISTINCT s.tier, s.user_id
       FROM rota_on_call($1, $1::timestamptz + interval '1 microsecond') s
       JOIN users u ON u.id = s.user_id
      WHERE u.disabled_at IS NULL
        AND (CASE WHEN s.tier = 3 THEN 'coordinator' ELSE 'responder' END) = ANY(u.roles))
   SELECT t.tier::int AS tier,
          CASE WHEN t.tier = 3 AND NOT EXISTS (SELECT 1 FROM on_call o WHERE o.tier = 3)
               THEN ARRAY(SELECT id FROM users
                           WHERE disabled_at IS NULL AND 'coordinator' = ANY(roles) ORDER BY id)
               ELSE ARRAY(SELECT o.user_id FROM on_call o WHERE o.tier = t.tier ORDER BY o.user_id)
          END AS on_call,
          (SELECT ack_timeout_seconds FROM rota_tiers r WHERE r.tier = t.tier) AS timeout
     FROM (VALUES (1), (2), (3)) AS t (tier)`,
);

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
    const start = from ?? new Date(Date.now() - 86_400_000);
    const end = to ?? new Date(start.getTime() + 15 * 86_400_000);
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
        WHERE s.ends_at > $1 AND s.starts_at < $2
        ORDER BY s.starts_at, s.tier`,
      [start, end],
    );
    const recurrences: RecurrenceRow[] = await this.db.query(
      `SELECT ${RECURRENCE_COLUMNS}
         FROM rota_recurrences r JOIN users u ON u.id = r.user_id
        WHERE r.until_on IS NULL OR r.until_on >= ($1::timestamptz AT TIME ZONE r.time_zone)::date - 7
        ORDER BY r.weekday, r.start_time, r.tier`,
      [start],
    );
    const onCall: Array<{
      shift_id: string | null;
      recurrence_id: string | null;
      occurs_on: string | null;
      replaced: boolean;
      user_id: string;
      dek_wrapped: Buffer;
      username_enc: Buffer;
      tier: Tier;
      starts_at: Date;
      ends_at: Date;
    }> = await this.db.query(
      `SELECT o.shift_id, o.recurrence_id, to_char(o.occurs_on, 'YYYY-MM-DD') AS occurs_on, o.replaced,
              o.user_id, u.dek_wrapped, u.username_enc, o.tier, o.starts_at, o.ends_at
         FROM rota_on_call($1, $2) o JOIN users u ON u.id = o.user_id
        ORDER BY o.starts_at, o.tier`,
      [start, end],
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
      recurrences: recurrences.map((r) => this.recurrenceOf(r)),
      onCall: onCall.map((o) => ({
        shiftId: o.shift_id,
        recurrenceId: o.recurrence_id,
        occursOn: o.occurs_on,
        replaced: o.replaced,
        userId: o.user_id,
        username: this.names.open(o.user_id, o.dek_wrapped, o.username_enc),
        tier: o.tier,
        startsAt: o.starts_at,
        endsAt: o.ends_at,
      })),
      timeZone: this.config.STATS_TIMEZONE,
      ackTimeoutSeconds: await this.timeouts(this.db.manager),
    };
  }

  async addShift(
    actor: Actor,
    shift: { userId: string; tier: Tier; startsAt: Date; endsAt: Date },
  ): Promise<Shift> {
    await this.access.requireCapability(actor, 'rota:manage');
    const user = await this.holderOf(shift.userId, shift.tier);
    const id = randomUUID();
    await this.db.query(
      `INSERT INTO rota_shifts (id, user_id, tier, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, shift.userId, shift.tier, shift.startsAt, shift.endsAt, actor.userId],
    );
    return {
      id,
      username: this.names.open(shift.userId, user.dek_wrapped, user.username_enc),
      ...shift,
    };
  }

  /** A weekly shift, in the helpline's zone (STATS_TIMEZONE), recorded on the row. */
  async addRecurrence(actor: Actor, input: NewRecurrence): Promise<Recurrence> {
    await this.access.requireCapability(actor, 'rota:manage');
    await this.holderOf(input.userId, input.tier);
    const id = randomUUID();
    await this.db.query(
      `INSERT INTO rota_recurrences (id, user_id, tier, weekday, start_time, duration_minutes,
                                     starts_on, until_on, time_zone, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        id,
        input.userId,
        input.tier,
        input.weekday,
        input.startTime,
        input.durationMinutes,
        input.startsOn,
        input.untilOn ?? null,
        this.config.STATS_TIMEZONE,
        actor.userId,
      ],
    );
    return this.recurrence(id);
  }

  /** Ends a recurring shift altogether: every occurrence, past and future, and its exceptions. */
  async removeRecurrence(actor: Actor, id: string): Promise<void> {
    await this.access.requireCapability(actor, 'rota:manage');
    if (affectedOf(await this.db.query(`DELETE FROM rota_recurrences WHERE id = $1`, [id])) === 0)
      throw new EmergencyException(EmergencyError.RecurrenceNotFound);
  }

  /**
   * Skips one occurrence (`occursOn`, its local date) of a recurring shift, or gives it to
   * someone else or other times; replaces an earlier exception for the same date.
   */
  async setException(
    actor: Actor,
    recurrenceId: string,
    occursOn: string,
    exception: RotaExceptionInput,
  ): Promise<void> {
    await this.access.requireCapability(actor, 'rota:manage');
    const occurrence = await this.occurrence(recurrenceId, occursOn);
    if (exception.kind === 'replace') {
      await this.holderOf(exception.userId, occurrence.tier);
      if (Math.abs(exception.startsAt.getTime() - occurrence.starts_at.getTime()) > 86_400_000)
        throw new EmergencyException(EmergencyError.ReplacementTooFar);
    }
    const replacement = exception.kind === 'replace' ? exception : undefined;
    await this.db.query(
      `INSERT INTO rota_exceptions (recurrence_id, occurs_on, kind, user_id, starts_at, ends_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (recurrence_id, occurs_on) DO UPDATE
         SET kind = excluded.kind, user_id = excluded.user_id, starts_at = excluded.starts_at,
             ends_at = excluded.ends_at, created_by = excluded.created_by, created_at = now()`,
      [
        recurrenceId,
        occursOn,
        exception.kind,
        replacement?.userId ?? null,
        replacement?.startsAt ?? null,
        replacement?.endsAt ?? null,
        actor.userId,
      ],
    );
  }

  /** The occurrence on `occursOn` goes back to what the recurring shift says. */
  async clearException(actor: Actor, recurrenceId: string, occursOn: string): Promise<void> {
    await this.access.requireCapability(actor, 'rota:manage');
    await this.occurrence(recurrenceId, occursOn);
    await this.db.query(`DELETE FROM rota_exceptions WHERE recurrence_id = $1 AND occurs_on = $2`, [
      recurrenceId,
      occursOn,
    ]);
  }

  /** An active account that may hold `tier`, or 404 / 400 `wrong_tier_role`. */
  private async holderOf(
    userId: string,
    tier: Tier,
  ): Promise<{ dek_wrapped: Buffer; username_enc: Buffer }> {
    const users: Array<{ dek_wrapped: Buffer; username_enc: Buffer; roles: Role[] }> =
      await this.db.query(
        `SELECT dek_wrapped, username_enc, roles FROM users WHERE id = $1 AND disabled_at IS NULL`,
        [userId],
      );
    if (!users[0]) throw new AccessException(AccessError.NotFound);
    if (!users[0].roles.includes(TIER_ROLE[tier]))
      throw new EmergencyException(EmergencyError.WrongTierRole);
    return users[0];
  }

  /** The recurring shift's occurrence on a local date: its tier and planned start. */
  private async occurrence(
    recurrenceId: string,
    occursOn: string,
  ): Promise<{ tier: Tier; starts_at: Date }> {
    const rows: Array<{ tier: Tier; starts_at: Date; occurs: boolean }> = await this.db.query(
      `SELECT r.tier, ($2::date + r.start_time) AT TIME ZONE r.time_zone AS starts_at,
              extract(isodow FROM $2::date) = r.weekday AND $2::date >= r.starts_on
                AND (r.until_on IS NULL OR $2::date <= r.until_on) AS occurs
         FROM rota_recurrences r WHERE r.id = $1`,
      [recurrenceId, occursOn],
    );
    if (!rows[0]) throw new EmergencyException(EmergencyError.RecurrenceNotFound);
    if (!rows[0].occurs) throw new EmergencyException(EmergencyError.NotAnOccurrence);
    return rows[0];
  }

  private async recurrence(id: string): Promise<Recurrence> {
    const [row] = await this.db.query<RecurrenceRow[]>(
      `SELECT ${RECURRENCE_COLUMNS} FROM rota_recurrences r JOIN users u ON u.id = r.user_id WHERE r.id = $1`,
      [id],
    );
    return this.recurrenceOf(row);
  }

  private recurrenceOf(r: RecurrenceRow): Recurrence {
    return {
      id: r.id,
      userId: r.user_id,
      username: this.names.open(r.user_id, r.dek_wrapped, r.username_enc),
      tier: r.tier,
      weekday: r.weekday,
      startTime: r.start_time,
      durationMinutes: r.duration_minutes,
      startsOn: r.starts_on,
      untilOn: r.until_on,
      timeZone: r.time_zone,
      exceptions: r.exceptions,
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

  /**
   * Who is on call at a tier and the tier's acknowledgement timeout, in one round trip. Read
   * from rota_on_call, the same expansion the rota screen shows: one-off shifts and every
   * occurrence of a recurring one, skipped occurrences left out and replacements put in.
   */
  async tierAt(
    em: EntityManager,
    tier: Tier,
    at: Date,
  ): Promise<{ onCall: string[]; timeoutSeconds: number }> {
    const [row] = await em.query<Array<{ on_call: string[]; timeout: number | null }>>(
      `SELECT coalesce((SELECT array_agg(DISTINCT s.user_id ORDER BY s.user_id)
                          FROM rota_on_call($2, $2::timestamptz + interval '1 microsecond') s
                          JOIN users u ON u.id = s.user_id
                         WHERE s.tier = $1 AND u.disabled_at IS NULL AND $3 = ANY(u.roles)), '{}') AS on_call,
              (SELECT ack_timeout_seconds FROM rota_tiers WHERE tier = $1) AS timeout`,
      [tier, at, TIER_ROLE[tier]],
    );
    return {
      onCall: row.on_call,
      timeoutSeconds: row.timeout ?? this.config.EMERGENCY_ACK_TIMEOUT_SECONDS,
    };
  }

  /**
   * `tierAt` for every tier at once, in one round trip, with tier 3's last resort already
   * applied (nobody on the rota at tier 3: every active coordinator). The pager's climb reads
   * this once per batch: a breach that pages past empty tiers needs two or three of them, and
   * a surge of breaches is when round trips count.
   */
  async tiersAt(
    em: EntityManager,
    at: Date,
  ): Promise<Record<Tier, { onCall: string[]; timeoutSeconds: number }>> {
    const rows = rowsOf<{ tier: Tier; on_call: string[]; timeout: number | null }>(
      await runPrepared(em, TIERS_AT, [at]),
    );
    const base = this.config.EMERGENCY_ACK_TIMEOUT_SECONDS;
    const tiers = {} as Record<Tier, { onCall: string[]; timeoutSeconds: number }>;
    for (const row of rows)
      tiers[row.tier] = { onCall: row.on_call, timeoutSeconds: row.timeout ?? base };
    return tiers;
  }

  /**
   * Who PagingService's climb will reach first for an emergency opened at `at`, as the rota
   * stands: its rule (an empty tier is skipped at once, tier 3 falls back to every
   * coordinator), read ahead so that the volunteer who saved the call can be told, honestly,
   * before the worker pages.
   */
  async firstPaged(em: EntityManager, at: Date): Promise<FirstPaged> {
    if ((await this.tierAt(em, 1, at)).onCall.length > 0) return 'tier1';
    if ((await this.tierAt(em, 2, at)).onCall.length > 0) return 'tier2';
    if ((await this.tierAt(em, 3, at)).onCall.length > 0) return 'coordinators';
    return (await this.allCoordinators(em)).length > 0 ? 'coordinators' : 'nobody';
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
