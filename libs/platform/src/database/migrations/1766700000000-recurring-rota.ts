import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recurring rota shifts and their exceptions (issue 13, point 8), and what "last sign-in"
 * on the accounts screen reads.
 *
 * - `rota_recurrences`: a weekly shift: ISO weekday (1 Monday … 7 Sunday), a wall-clock start
 *   time and a duration, from a date and optionally until a date, in the time zone recorded on
 *   the row (the helpline's zone when it was made). A local date plus a local time is turned
 *   into an instant with that zone's rules for that date, so a 20:00 shift starts at 20:00 on
 *   the wall clock on both sides of a DST change; the duration is real minutes.
 * - `rota_exceptions`: one occurrence (by its local date) skipped, or replaced by another
 *   person and/or other times.
 * - `rota_on_call(from, to)`: every shift that overlaps [from, to), one-off and recurring,
 *   exceptions applied. The rota screen and the pager both read it, so that paging sees
 *   recurring shifts exactly as it sees one-off ones.
 * - A partial index over the audit trail's successful sign-ins: the last sign-in of each account
 *   is read from there (entries about staff keep their exact time already), so no new column
 *   records when anyone signs in.
 */
export class RecurringRota1766700000000 implements MigrationInterface {
  name = 'RecurringRota1766700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE rota_recurrences (
        id                uuid PRIMARY KEY,
        user_id           uuid NOT NULL REFERENCES users (id),
        tier              smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
        weekday           smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
        start_time        time NOT NULL,
        duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 15 AND 10080),
        starts_on         date NOT NULL,
        until_on          date CHECK (until_on >= starts_on),
        time_zone         text NOT NULL,
        created_by        uuid NOT NULL REFERENCES users (id),
        created_at        timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX rota_recurrences_tier_idx ON rota_recurrences (tier, weekday)`);
    await db.query(`
      CREATE TABLE rota_exceptions (
        recurrence_id  uuid NOT NULL REFERENCES rota_recurrences (id) ON DELETE CASCADE,
        occurs_on      date NOT NULL,
        kind           text NOT NULL CHECK (kind IN ('skip', 'replace')),
        user_id        uuid REFERENCES users (id),
        starts_at      timestamptz,
        ends_at        timestamptz,
        created_by     uuid NOT NULL REFERENCES users (id),
        created_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (recurrence_id, occurs_on),
        CHECK ((kind = 'skip' AND user_id IS NULL AND starts_at IS NULL AND ends_at IS NULL)
            OR (kind = 'replace' AND user_id IS NOT NULL AND starts_at IS NOT NULL AND ends_at > starts_at))
      )`);
    // Occurrences are generated per local day from 9 days before the window (the longest shift
    // is 7 days; a replacement moves at most a day) to a day after it.
    await db.query(`
      CREATE FUNCTION rota_on_call(p_from timestamptz, p_to timestamptz)
      RETURNS TABLE (shift_id uuid, recurrence_id uuid, occurs_on date, user_id uuid,
                     tier smallint, starts_at timestamptz, ends_at timestamptz, replaced boolean)
      LANGUAGE sql STABLE AS $$
        SELECT s.id, NULL::uuid, NULL::date, s.user_id, s.tier, s.starts_at, s.ends_at, false
          FROM rota_shifts s
         WHERE s.ends_at > p_from AND s.starts_at < p_to
        UNION ALL
        SELECT NULL::uuid, o.recurrence_id, o.occurs_on, coalesce(x.user_id, o.user_id), o.tier,
               coalesce(x.starts_at, o.starts_at), coalesce(x.ends_at, o.ends_at),
               x.kind IS NOT NULL
          FROM (SELECT r.id AS recurrence_id, r.user_id, r.tier, d.day AS occurs_on,
                       (d.day + r.start_time) AT TIME ZONE r.time_zone AS starts_at,
                       ((d.day + r.start_time) AT TIME ZONE r.time_zone)
                         + make_interval(mins => r.duration_minutes) AS ends_at
                  FROM rota_recurrences r
                 CROSS JOIN LATERAL (
                       SELECT g::date AS day
                         FROM generate_series(
                                greatest(r.starts_on, (p_from AT TIME ZONE r.time_zone)::date - 9)::timestamp,
                                least(coalesce(r.until_on, 'infinity'::date),
                                      (p_to AT TIME ZONE r.time_zone)::date + 1)::timestamp,
                                interval '1 day') g) d
                 WHERE extract(isodow FROM d.day) = r.weekday) o
          LEFT JOIN rota_exceptions x
            ON x.recurrence_id = o.recurrence_id AND x.occurs_on = o.occurs_on
         WHERE x.kind IS DISTINCT FROM 'skip'
           AND coalesce(x.ends_at, o.ends_at) > p_from
           AND coalesce(x.starts_at, o.starts_at) < p_to
      $$`);
    await db.query(
      `CREATE INDEX audit_entries_sign_in_idx ON audit_entries (actor_id, at)
        WHERE action = 'auth.sign_in' AND outcome = 'success'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX audit_entries_sign_in_idx`);
    await db.query(`DROP FUNCTION rota_on_call(timestamptz, timestamptz)`);
    await db.query(`DROP TABLE rota_exceptions`);
    await db.query(`DROP TABLE rota_recurrences`);
  }
}
