import { Injectable } from '@nestjs/common';
import { ExactTimes, KeyRing } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from './audit-event';
import { AuditReferences, auditTimeBinding, isPseudonymous } from './audit-reference';

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
    const params: unknown[] = [];
    const now = this.ring.sealed ? undefined : this.times.now();
    const rows = list.map((e) => {
      // A missing id stays NULL (a row read from the database may hand over null).
      const reference =
        e.recordId === undefined || e.recordId === null
          ? null
          : this.references.of(e.recordType, e.recordId);
      const moment =
        now && isPseudonymous(e.recordType)
          ? this.times.seal(auditTimeBinding({ record_id: reference, action: e.action }), now)
          : undefined;
      params.push(
        e.actorId,
        e.action,
        e.recordType ?? null,
        reference,
        e.outcome,
        e.reason ?? null,
        e.breakGlass ?? false,
        moment?.week ?? null,
        moment?.sealed ?? null,
      );
      const n = params.length;
      return `($${n - 8}::uuid, $${n - 7}, $${n - 6}, $${n - 5}, $${n - 4}, $${n - 3}, $${n - 2},
               coalesce($${n - 1}::timestamptz, date_trunc('milliseconds', clock_timestamp())), $${n}::bytea)`;
    });
    await (manager ?? this.db).query(
      `INSERT INTO audit_entries (actor_id, action, record_type, record_id, outcome, reason, break_glass, at, at_enc)
       VALUES ${rows.join(', ')}`,
      params,
    );
  }
}
