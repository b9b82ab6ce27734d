import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from './audit-event';
import { AuditReferences } from './audit-reference';

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
 */
@Injectable()
export class AuditTrail {
  constructor(
    private readonly db: DataSource,
    private readonly references: AuditReferences,
  ) {}

  async record(events: AuditEvent | readonly AuditEvent[], manager?: EntityManager): Promise<void> {
    const list: readonly AuditEvent[] = 'action' in events ? [events] : events;
    if (list.length === 0) return;
    const params: unknown[] = [];
    const rows = list.map((e) => {
      params.push(
        e.actorId,
        e.action,
        e.recordType ?? null,
        // A missing id stays NULL (a row read from the database may hand over null).
        e.recordId === undefined || e.recordId === null
          ? null
          : this.references.of(e.recordType, e.recordId),
        e.outcome,
        e.reason ?? null,
        e.breakGlass ?? false,
      );
      const n = params.length;
      return `($${n - 6}::uuid, $${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
    });
    await (manager ?? this.db).query(
      `INSERT INTO audit_entries (actor_id, action, record_type, record_id, outcome, reason, break_glass)
       VALUES ${rows.join(', ')}`,
      params,
    );
  }
}
