import { MigrationInterface, QueryRunner } from 'typeorm';

/** The zone the days in the clear were written in (AppConfig.STATS_TIMEZONE, its default). */
const statsTimeZone = (): string => process.env.STATS_TIMEZONE || 'Europe/Moscow';

/** Time columns of open work and its records that hold a day (a midnight) once written. */
const DAY_COLUMNS: Record<string, string[]> = {
  cases: ['created_at', 'updated_at', 'assigned_at', 'acknowledged_at', 'due_at', 'closed_at'],
  case_events: ['at'],
  notifications: ['created_at', 'read_at'],
  emergency_pages: ['paged_at', 'due_at', 'breached_at'],
  case_notes: ['created_at', 'erased_at'],
  break_glass_grants: ['granted_at', 'expires_at'],
};

/**
 * Per-call rows kept the day in the clear (contacts, their consents, cases, case events, notes,
 * notifications, pages): beside a case's service, a day whose share of a service lies far from
 * the period's attaches that service to every call of the day (seizure.md, 2026-12-04: 125
 * calls). A week's share does not vary that far, so every plaintext time of a call is now its
 * week, the Monday in STATS_TIMEZONE (docs/security/metadata.md, "Weeks").
 *
 * `contacts.day` becomes `contacts.week`; a sealed contact's logging time, consent time and
 * retention end become its week (the end: the week's end plus the retention period). A time column
 * that holds a day becomes that day's week; one that still holds an exact time (a row written
 * before its times were sealed) is left for the pass that seals it, which now writes the week.
 * Audit entries keep the days they were written with (the chain covers them); new ones keep
 * the week. The zone is the process's STATS_TIMEZONE, or its default.
 */
export class WeekTimes1766100000000 implements MigrationInterface {
  name = 'WeekTimes1766100000000';

  async up(db: QueryRunner): Promise<void> {
    const tz = statsTimeZone();
    await db.query(`ALTER TABLE contacts RENAME COLUMN day TO week`);
    await db.query(`ALTER INDEX contacts_day_idx RENAME TO contacts_week_idx`);
    await db.query(
      `UPDATE contacts SET week = date_trunc('week', week::timestamp)::date
        WHERE week <> date_trunc('week', week::timestamp)::date`,
    );
    // Sealed contacts only: an unsealed one's exact time of logging is still to be sealed.
    await db.query(
      `UPDATE contacts ct
          SET created_at = (ct.week::timestamp AT TIME ZONE $1),
              expires_at = (ct.week::timestamp AT TIME ZONE $1) + make_interval(days => cs.retention_days + 7)
         FROM consents cs
        WHERE cs.contact_id = ct.id AND EXISTS (SELECT 1 FROM contact_facts f WHERE f.contact_id = ct.id)`,
      [tz],
    );
    await db.query(
      `UPDATE consents cs SET given_at = ct.created_at,
              withdrawn_at = date_trunc('week', cs.withdrawn_at, $1)
         FROM contacts ct
        WHERE ct.id = cs.contact_id AND EXISTS (SELECT 1 FROM contact_facts f WHERE f.contact_id = ct.id)`,
      [tz],
    );
    await db.query(
      `UPDATE contacts SET erased_at = date_trunc('week', erased_at, $1) WHERE erased_at IS NOT NULL`,
      [tz],
    );
    for (const [table, columns] of Object.entries(DAY_COLUMNS))
      for (const column of columns)
        await db.query(
          `UPDATE ${table} SET ${column} = date_trunc('week', ${column}, $1)
            WHERE ${column} = date_trunc('day', ${column}, $1)
              AND ${column} <> date_trunc('week', ${column}, $1)`,
          [tz],
        );
    await db.query(
      `UPDATE callers SET created_at = date_trunc('week', created_at), updated_at = date_trunc('week', updated_at)`,
    );
    await db.query(
      `ALTER TABLE callers ALTER COLUMN created_at SET DEFAULT date_trunc('week', now())`,
    );
    await db.query(
      `ALTER TABLE callers ALTER COLUMN updated_at SET DEFAULT date_trunc('week', now())`,
    );
    await db.query(
      `ALTER TABLE consents ALTER COLUMN given_at SET DEFAULT date_trunc('week', now())`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    // The days are gone for good (the exact times stay sealed); only the shape comes back.
    await db.query(
      `ALTER TABLE consents ALTER COLUMN given_at SET DEFAULT date_trunc('day', now())`,
    );
    await db.query(
      `ALTER TABLE callers ALTER COLUMN updated_at SET DEFAULT date_trunc('day', now())`,
    );
    await db.query(
      `ALTER TABLE callers ALTER COLUMN created_at SET DEFAULT date_trunc('day', now())`,
    );
    await db.query(`ALTER INDEX contacts_week_idx RENAME TO contacts_day_idx`);
    await db.query(`ALTER TABLE contacts RENAME COLUMN week TO day`);
  }
}
