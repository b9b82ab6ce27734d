import { Injectable } from '@nestjs/common';
import { ExactTimes, KeyRing, preparedStatement, runPrepared } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from './audit-event';
import { AuditReferences, auditTimeBinding, isPseudonymous } from './audit-reference';

/**
 * Entries in their order, one array per column: one text whatever their number, so that it is
 * prepared once. An entry without a sealed time gets the exact time, to the millisecond.
 */
const APPEND_ENTRIES = preparedStatement('audit.append', auditAppend(1));

/**
 * The INSERT of audit entries whose nine column arrays (AuditTrail.columnsOf) are parameters
 * $first to $first+8: alone, or as a CTE of a statement that writes the change it describes
 * (`returning`: a row for each, for the statement to wait for them).
 */
export function auditAppend(first: number, returning = false): string {
  const p = (n: number) => `$${first + n}`;
  return `INSERT INTO audit_entries (actor_id, action, record_type, record_id, outcome, reason, break_glass, at, at_enc)
   SELECT actor_id, action, record_type, record_id, outcome, reason, break_glass,
          coalesce(at, date_trunc('milliseconds', clock_timestamp())), at_enc
     FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::text[], ${p(6)}::boolean[],
                 ${p(7)}::timestamptz[], ${p(8)}::bytea[])
       AS e (actor_id, action, record_type, record_id, outcome, reason, break_glass, at, at_enc)${returning ? ' RETURNING 1' : ''}`;
}

/**
 * Appends to the audit trail. Inside a transaction the entries commit or vanish with the
 * change they describe; outside one (a denied read, a failed sign-in) they stand alone.
 * Appending takes no lock; the worker's chainer links entries into the chain (AuditChainer).
 *
 * Every record id goes through AuditReferences here, and only here: an entry about a
 * contact, case, caller or note stores a keyed pseudonym, whoever records it. That costs one
 * HMAC per entry and no round trip. Sealed, such an entry cannot be written (SealedError, and
 * the transaction it belongs to rolls back); nothing that touches those records runs sealed,
 * since every route to them answers 503 and the worker pauses. Entries about staff accounts
 * and key custody need no key, so unseal attempts and lockdowns are audited while sealed.
 *
 * The same entries keep only the day in `at`; their exact time is sealed beside it (`at_enc`,
 * ExactTimes), and the chain covers it. An action's name at an exact time ("emergency.page"
 * a minute after a call) joins with the telephone records without any record id. Entries about
 * staff accounts and key custody, and anything written while sealed, keep the exact time.
 */
@Injectable()
export class AuditTrail {
  constructor(
    private readonly db: DataSource,
    private readonly references: AuditReferences,
    private readonly times: ExactTimes,
    private readonly ring: KeyRing,
  ) {}

  async record(events: AuditEvent | readonly AuditEvent[], manager?: EntityManager): Promise<void> {
    const list: readonly AuditEvent[] = 'action' in events ? [events] : events;
    if (list.length === 0) return;
    await runPrepared(manager ?? this.db, APPEND_ENTRIES, this.columnsOf(list));
  }

  /**
   * The entries as APPEND_ENTRIES takes them, one array per column (AUDIT_APPEND_COLUMNS):
   * for a statement that writes them with the change they describe (intake's).
   */
  columnsOf(list: readonly AuditEvent[]): unknown[][] {
    const now = this.ring.sealed ? undefined : this.times.now();
    const columns: unknown[][] = [[], [], [], [], [], [], [], [], []];
    for (const e of list) {
      // A missing id stays NULL (a row read from the database may hand over null).
      const reference =
        e.recordId === undefined || e.recordId === null
          ? null
          : this.references.of(e.recordType, e.recordId);
      const moment =
        now && isPseudonymous(e.recordType)
          ? this.times.seal(auditTimeBinding({ record_id: reference, action: e.action }), now)
          : undefined;
      [
        e.actorId,
        e.action,
        e.recordType ?? null,
        reference,
        e.outcome,
        e.reason ?? null,
        e.breakGlass ?? false,
        moment?.week ?? null,
        moment?.sealed ?? null,
      ].forEach((value, column) => columns[column].push(value));
    }
    return columns;
  }
}
