import { Injectable } from '@nestjs/common';
import { AccessControl, AccessError, AccessException, Service, SERVICE_ROLE } from '@mayak/access';
import { Actor, Role, StaffNames } from '@mayak/identity';
import {
  batchArray,
  PreparedStatement,
  preparedStatement,
  rowsOf,
  runPrepared,
} from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { StaffingError, StaffingException } from './staffing.exception';

export interface Availability {
  onShift: boolean;
  capacity: number;
  /** Regions they take cases from; empty means any. */
  regions: string[];
}

export interface StaffMember extends Availability {
  userId: string;
  username: string;
  roles: Role[];
  openCases: number;
}

const CASE_ROLES: Role[] = ['lawyer', 'psychologist', 'responder'];

/**
 * Who is on shift, for which regions, and how many open cases each can carry. Staff set
 * their own; coordinators set anyone's. The open-case count is kept here, in the same
 * transactions that assign and release cases, so routing never has to count.
 */
@Injectable()
export class StaffAvailabilityService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly names: StaffNames,
  ) {}

  /** `userRef` is a user id, or 'me'. */
  async get(actor: Actor, userRef: string): Promise<Availability> {
    const userId = userRef === 'me' ? actor.userId : userRef;
    await this.requireManage(actor, userId);
    const rows: Array<{ on_shift: boolean; capacity: number; regions: string[] }> =
      await this.db.query(
        `SELECT on_shift, capacity, regions FROM staff_availability WHERE user_id = $1`,
        [userId],
      );
    const row = rows[0];
    return row
      ? { onShift: row.on_shift, capacity: row.capacity, regions: row.regions }
      : { onShift: false, capacity: 10, regions: [] };
  }

  async set(actor: Actor, userRef: string, availability: Availability): Promise<Availability> {
    const userId = userRef === 'me' ? actor.userId : userRef;
    await this.requireManage(actor, userId);
    const target: Array<{ roles: Role[] }> = await this.db.query(
      `SELECT roles FROM users WHERE id = $1 AND disabled_at IS NULL`,
      [userId],
    );
    if (!target[0]) throw new AccessException(AccessError.NotFound);
    if (!target[0].roles.some((r) => CASE_ROLES.includes(r)))
      throw new StaffingException(StaffingError.NotCaseStaff);
    await this.db.query(
      `INSERT INTO staff_availability (user_id, on_shift, capacity, regions) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id) DO UPDATE SET on_shift = $2, capacity = $3, regions = $4, updated_at = now()`,
      [userId, availability.onShift, availability.capacity, [...new Set(availability.regions)]],
    );
    return {
      onShift: availability.onShift,
      capacity: availability.capacity,
      regions: [...new Set(availability.regions)],
    };
  }

  async list(actor: Actor): Promise<StaffMember[]> {
    await this.access.requireCapability(actor, 'staff:manage');
    const rows: Array<{
      id: string;
      dek_wrapped: Buffer;
      username_enc: Buffer;
      roles: Role[];
      on_shift: boolean | null;
      capacity: number | null;
      regions: string[] | null;
      open_cases: number | null;
    }> = await this.db.query(
      `SELECT u.id, u.dek_wrapped, u.username_enc, u.roles, a.on_shift, a.capacity, a.regions, a.open_cases
           FROM users u LEFT JOIN staff_availability a ON a.user_id = u.id
          WHERE u.disabled_at IS NULL AND u.roles && $1::text[]`,
      // Coordinators too: they hold rota tier 3, and a case can be handed to one to keep it moving.
      [[...CASE_ROLES, 'coordinator']],
    );
    // Names are sealed: opened and put in order here.
    const members = rows.map((r) => ({
      userId: r.id,
      username: this.names.open(r.id, r.dek_wrapped, r.username_enc),
      roles: r.roles,
      onShift: r.on_shift ?? false,
      capacity: r.capacity ?? 10,
      regions: r.regions ?? [],
      openCases: r.open_cases ?? 0,
    }));
    return members.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  private async requireManage(actor: Actor, userId: string): Promise<void> {
    if (userId === actor.userId)
      await this.access.requireCapability(actor, 'staff:set-own', { type: 'user', id: userId });
    else await this.access.requireCapability(actor, 'staff:manage', { type: 'user', id: userId });
  }
}

/**
 * A routing's pick: the colleague reserved, or none; `contended` when none was free of another
 * routing's lock although someone fits (see StaffLoad.pickAndReserve).
 */
export interface StaffPick {
  assignee?: string;
  contended: boolean;
}

/** Who fits a case: $1 the role, $2 the region, $3 who declined it. */
const FITS = `a.on_shift AND a.open_cases < a.capacity
              AND u.disabled_at IS NULL AND $1 = ANY(u.roles)
              AND (cardinality(a.regions) = 0 OR $2 = ANY(a.regions))
              AND NOT (a.user_id = ANY($3::uuid[]))`;

/** The pick, reserving the one who fits with the fewest open cases; see pickAndReserve. */
const pickStatement = (name: string, locking: 'SKIP LOCKED' | '') =>
  preparedStatement(
    name,
    `WITH pick AS (
       SELECT a.user_id FROM staff_availability a JOIN users u ON u.id = a.user_id
        WHERE ${FITS}
        ORDER BY a.open_cases, a.updated_at, a.user_id
        LIMIT 1
        FOR UPDATE OF a ${locking}),
     taken AS (
       UPDATE staff_availability s SET open_cases = s.open_cases + 1
         FROM pick WHERE s.user_id = pick.user_id
       RETURNING s.user_id)
     SELECT (SELECT user_id FROM taken) AS user_id,
            EXISTS (SELECT 1 FROM staff_availability a JOIN users u ON u.id = a.user_id
                     WHERE ${FITS}) AS any_fit`,
  );
const PICK_SKIPPING_LOCKED = pickStatement('staff.pick', 'SKIP LOCKED');
const PICK_WAITING = pickStatement('staff.pick-waiting', '');

/** Who could take a case of kind `k` (a role and the regions its cases come from). */
const FITS_KIND = `a.on_shift AND a.open_cases < a.capacity
       AND u.disabled_at IS NULL AND k.role = ANY(u.roles)
       AND (cardinality(a.regions) = 0
            OR a.regions && ARRAY(SELECT jsonb_array_elements_text(k.regions)))`;

/**
 * The least loaded colleagues of each kind (a role and the regions its cases come from) who
 * could take a batch's cases, locked (SKIP LOCKED), as many of each as the batch could need;
 * and with each kind, how many fit it at all, locked or not (`fitting`, read without a lock).
 * A kind with no one to lock still gives one row, its colleague's columns null. When a kind's
 * `fitting` is the number of its rows locked, nobody was skipped or left out: a case of that
 * kind the batch cannot place fits no one, and needs no statement of its own to say so.
 */
const LOCK_CANDIDATES = preparedStatement(
  'staff.lock-candidates',
  `SELECT k.i::text AS kind, f.fitting, p.user_id, p.open_cases, p.capacity, p.rank, p.regions
   FROM unnest(${batchArray(1, 'text')}, ${batchArray(2, 'jsonb')}, ${batchArray(3, 'int')})
          WITH ORDINALITY AS k (role, regions, n, i)
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS fitting
      FROM staff_availability a JOIN users u ON u.id = a.user_id
     WHERE ${FITS_KIND}) f
  LEFT JOIN LATERAL (
    SELECT a.user_id, a.open_cases, a.capacity, a.regions,
           to_char(a.updated_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || a.user_id::text AS rank
      FROM staff_availability a JOIN users u ON u.id = a.user_id
     WHERE ${FITS_KIND}
     ORDER BY a.open_cases, a.updated_at, a.user_id
     LIMIT k.n
     FOR UPDATE OF a SKIP LOCKED) p ON true`,
);
/** A batch's reservations: each colleague's open cases up by as many as they were given. */
const RESERVE = preparedStatement(
  'staff.reserve',
  `UPDATE staff_availability s SET open_cases = s.open_cases + v.n
     FROM unnest($1::uuid[], $2::int[]) AS v (user_id, n) WHERE s.user_id = v.user_id`,
);

/**
 * For each case ($1 role, $2 region, $3 who declined it, as a JSON array): whether anyone fits
 * it at all, locked or not (the `any_fit` of a pick, for a batch at once).
 */
const ANY_FITS = preparedStatement(
  'staff.any-fits',
  `SELECT EXISTS (
            SELECT 1 FROM staff_availability a JOIN users u ON u.id = a.user_id
             WHERE a.on_shift AND a.open_cases < a.capacity
               AND u.disabled_at IS NULL AND k.role = ANY(u.roles)
               AND (cardinality(a.regions) = 0 OR k.region = ANY(a.regions))
               AND NOT (a.user_id::text IN (SELECT jsonb_array_elements_text(k.excluded)))) AS fits
     FROM unnest($1::text[], $2::text[], $3::jsonb[]) WITH ORDINALITY AS k (role, region, excluded, i)
    ORDER BY k.i`,
);

/** A colleague a batch of routings has locked, with the load it has reserved for them so far. */
interface Candidate {
  userId: string;
  load: number;
  capacity: number;
  /** Their place among equally loaded colleagues: `updated_at`, then the id. */
  rank: string;
  /** The regions they take cases from; empty means any. */
  regions: string[];
}

/**
 * Load bookkeeping and assignee choice, used by the case lifecycle inside its transactions.
 */
@Injectable()
export class StaffLoad {
  /**
   * The on-shift member of the service's staff with the fewest open cases below their
   * capacity, who covers the region (or all regions) and has not declined this case.
   * SKIP LOCKED lets concurrent routings pick different people instead of queueing on one;
   * the row lock held until commit keeps anyone from going over capacity.
   *
   * When every fitting row is locked by another routing (one lawyer on shift, two legal cases
   * at once), skipping would send the case to the pool although someone is free. The same
   * statement says so (`contended`), and the caller decides: a transaction that reserves no
   * other colleague may ask again with `wait`, which waits for those locks and sees the rows
   * as the other routings committed them. One that already holds a colleague's row must not
   * wait (two such batches would deadlock); it routes the case again on its own.
   */
  async pickAndReserve(
    em: EntityManager,
    service: Service,
    region: string,
    excluded: readonly string[],
    options: { wait?: boolean } = {},
  ): Promise<StaffPick> {
    const args = [SERVICE_ROLE[service], region, excluded];
    const pick = async (statement: PreparedStatement) => {
      const [row] = rowsOf<{ user_id: string | null; any_fit: boolean }>(
        await runPrepared(em, statement, args),
      );
      return { assignee: row?.user_id ?? undefined, contended: !row?.user_id && !!row?.any_fit };
    };
    const first = await pick(PICK_SKIPPING_LOCKED);
    if (first.assignee || !first.contended || !options.wait) return first;
    return pick(PICK_WAITING);
  }

  /**
   * `pickAndReserve` for the cases of a batch at once (routing's batches), in two statements
   * whatever their number (three when region lists leave the first unsure). The colleagues who
   * could take them are locked in one: SKIP LOCKED, the least loaded first, as many of each
   * role as the batch could need (one per case, plus those declined), so that however the
   * picks before a case went, one of them is still free for it and no colleague left out is
   * less loaded. Each case is then given the least loaded of them in turn, here (each pick
   * sees the load the previous ones reserved: the choice a pick per case would make), and the
   * reservations are written in one more. A case none of the locked rows can take (all full,
   * declined, or held by another routing) comes back unanswered: ask `pickAndReserve`, which
   * sees these reservations and says whether the case is contended. A case comes back `null`
   * rather than unanswered when everyone who could take it was among those locked (no one of
   * its kind skipped, none left out by the limit) and none was free for it: it fits no one, as
   * `anyFits` would say, without that statement (a service with nobody on shift, at night,
   * costs its routings a round trip less).
   */
  async reserveMany(
    em: EntityManager,
    requests: ReadonlyArray<{ service: Service; region: string; excluded: readonly string[] }>,
  ): Promise<Array<string | null | undefined>> {
    if (requests.length === 0) return [];
    // Each role locks as many of its colleagues as its cases could take: one per case, plus
    // those declined (the least loaded first: see below why that is enough).
    const roles = new Map<Role, { regions: Set<string>; limit: number }>();
    for (const { service, region, excluded } of requests) {
      const role = SERVICE_ROLE[service];
      const entry = roles.get(role) ?? { regions: new Set<string>(), limit: 0 };
      entry.regions.add(region);
      entry.limit += 1 + excluded.length;
      roles.set(role, entry);
    }
    const staff = new Map<string, Candidate>();
    /** Each kind's colleagues locked, and whether they are all who fit it (`complete`). */
    const lock = async (
      kinds: ReadonlyArray<{ role: Role; regions: string[]; limit: number }>,
    ): Promise<Array<{ list: Candidate[]; complete: boolean }>> => {
      const rows = rowsOf<{
        kind: string;
        fitting: number;
        user_id: string | null;
        open_cases: number;
        capacity: number;
        rank: string;
        regions: string[];
      }>(
        await runPrepared(em, LOCK_CANDIDATES, [
          kinds.map((k) => k.role),
          kinds.map((k) => JSON.stringify(k.regions)),
          kinds.map((k) => k.limit),
        ]),
      );
      const out = kinds.map(() => ({ list: [] as Candidate[], fitting: 0 }));
      for (const row of rows) {
        const kind = out[Number(row.kind) - 1];
        kind.fitting = row.fitting;
        if (row.user_id === null) continue;
        // The same colleague may fit several kinds: one record of their load for all.
        let member = staff.get(row.user_id);
        if (!member)
          staff.set(
            row.user_id,
            (member = {
              userId: row.user_id,
              load: row.open_cases,
              capacity: row.capacity,
              rank: row.rank,
              regions: row.regions,
            }),
          );
        kind.list.push(member);
      }
      return out.map(({ list, fitting }) => ({ list, complete: fitting === list.length }));
    };
    // The least loaded of each role who take any of the batch's regions, in one statement.
    const byRole = [...roles].map(([role, { regions, limit }]) => ({
      role,
      regions: [...regions],
      limit,
    }));
    const locked = await lock(byRole);
    // Those of a role who take a region are enough for its cases when the role's list was not
    // cut short (it holds everyone who fits), or when everyone in it takes that region (it is
    // then the least loaded who do, as many as the batch could need). A region for which
    // neither holds locks its own least loaded, in one more statement.
    // A region's share of a complete list is complete too: it holds everyone who takes it.
    const fitting = new Map<string, { list: Candidate[]; complete: boolean }>();
    const unsure: Array<{ role: Role; regions: string[]; limit: number }> = [];
    for (const [r, { role, regions, limit }] of byRole.entries()) {
      const { list, complete } = locked[r];
      for (const region of regions) {
        const fits = list.filter((m) => m.regions.length === 0 || m.regions.includes(region));
        if (list.length < limit || fits.length === list.length)
          fitting.set(`${role}\u0000${region}`, { list: fits, complete });
        else unsure.push({ role, regions: [region], limit });
      }
    }
    if (unsure.length > 0)
      for (const [u, kind] of (await lock(unsure)).entries())
        fitting.set(`${unsure[u].role}\u0000${unsure[u].regions[0]}`, kind);
    const kindOf = requests.map(({ service, region }) => `${SERVICE_ROLE[service]}\u0000${region}`);
    const reserved = new Map<string, number>();
    const picks = requests.map(({ excluded }, i): string | null | undefined => {
      let best: Candidate | undefined;
      const kind = fitting.get(kindOf[i]);
      for (const member of kind?.list ?? []) {
        if (member.load >= member.capacity || excluded.includes(member.userId)) continue;
        if (
          !best ||
          member.load < best.load ||
          (member.load === best.load && member.rank < best.rank)
        )
          best = member;
      }
      // Loads only grow as the batch goes: one not free for it now will not be later.
      if (!best) return kind?.complete ? null : undefined;
      best.load += 1;
      reserved.set(best.userId, (reserved.get(best.userId) ?? 0) + 1);
      return best.userId;
    });
    if (reserved.size > 0)
      await runPrepared(em, RESERVE, [[...reserved.keys()], [...reserved.values()]]);
    return picks;
  }

  /**
   * Whether anyone fits each case at all, in one statement: the `any_fit` that
   * `pickAndReserve` gives with its pick, for the cases a batch could not place. A case no one
   * fits goes to the pool, as its own pick would send it (its pick looks only among those who
   * fit), without a statement of its own: once every colleague of a service is full, a burst
   * of its cases costs one statement per batch rather than one per case.
   */
  async anyFits(
    em: EntityManager,
    requests: ReadonlyArray<{ service: Service; region: string; excluded: readonly string[] }>,
  ): Promise<boolean[]> {
    if (requests.length === 0) return [];
    const rows = rowsOf<{ fits: boolean }>(
      await runPrepared(em, ANY_FITS, [
        requests.map((r) => SERVICE_ROLE[r.service]),
        requests.map((r) => r.region),
        requests.map((r) => JSON.stringify(r.excluded)),
      ]),
    );
    return rows.map((r) => r.fits);
  }

  async adjust(em: EntityManager, userId: string, delta: 1 | -1): Promise<void> {
    await em.query(
      `INSERT INTO staff_availability (user_id, open_cases) VALUES ($1, greatest($2, 0))
       ON CONFLICT (user_id) DO UPDATE SET open_cases = greatest(staff_availability.open_cases + $2, 0)`,
      [userId, delta],
    );
  }
}
