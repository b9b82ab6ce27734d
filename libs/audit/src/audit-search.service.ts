import { Injectable } from '@nestjs/common';
import { ExactTimes } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { AuditReferences, auditTimeBinding, isPseudonymous } from './audit-reference';
import { AuditTrail } from './audit-trail.service';

/** An audit entry about one record, as an investigator reads it. */
export interface AuditFinding {
  seq: string;
  at: Date;
  actorId: string | null;
  action: string;
  outcome: string;
  reason: string | null;
  breakGlass: boolean;
  /** Whether the entry is in the chain yet (the worker links it within a second). */
  linked: boolean;
  /** How the entry names the record: by keyed pseudonym, or by its plain id (written before
   *  pseudonyms, or a type that keeps plain ids). */
  reference: 'pseudonym' | 'plain';
}

/**
 * Finds the audit entries about one record, for an investigator who holds the keys: the
 * record's pseudonym is computed here, so the entries can be found although the database
 * does not say which record they refer to. Entries written before pseudonyms (an upgraded
 * installation) name the record by its plain id, and are found as well.
 */
@Injectable()
export class AuditSearch {
  constructor(
    private readonly db: DataSource,
    private readonly references: AuditReferences,
    private readonly audit: AuditTrail,
    private readonly times: ExactTimes,
  ) {}

  /** Oldest first; at most `limit`. The search itself is audited. */
  async about(recordType: string, recordId: string, limit = 1_000): Promise<AuditFinding[]> {
    const reference = this.references.of(recordType, recordId);
    const rows: Array<{
      seq: string;
      at: Date;
      at_enc: Buffer | null;
      actor_id: string | null;
      action: string;
      outcome: string;
      reason: string | null;
      break_glass: boolean;
      linked: boolean;
      record_id: string;
    }> = await this.db.query(
      `SELECT seq::text AS seq, at, at_enc, actor_id, action, outcome, reason, break_glass,
              EXISTS (SELECT 1 FROM audit_links l WHERE l.seq = audit_entries.seq) AS linked, record_id
         FROM audit_entries
        WHERE record_type = $1 AND record_id = ANY($2::text[])
        ORDER BY seq LIMIT $3`,
      [recordType, [...new Set([reference, recordId])], limit],
    );
    await this.audit.record({
      actorId: null,
      action: 'audit.search',
      recordType,
      recordId,
      outcome: 'success',
      reason: `rows:${rows.length}`,
    });
    return rows.map((r) => ({
      seq: r.seq,
      // The day is in the clear; the exact time is sealed beside it (AuditTrail).
      at: this.times.open(auditTimeBinding(r), r.at_enc, r.at),
      actorId: r.actor_id,
      action: r.action,
      outcome: r.outcome,
      reason: r.reason,
      breakGlass: r.break_glass,
      linked: r.linked,
      reference: isPseudonymous(recordType) && r.record_id === reference ? 'pseudonym' : 'plain',
    }));
  }

  /**
   * When each account last signed in, to the hour (the accounts screen). Read from the trail's
   * successful sign-ins (staff entries keep their exact time in the clear already, and a
   * partial index finds them), so no other table records who signs in when; the hour is all an
   * admin needs to see a dormant account, and not a timetable of anyone's work.
   */
  async lastSignIns(userIds: readonly string[]): Promise<Map<string, Date>> {
    if (userIds.length === 0) return new Map();
    const rows: Array<{ actor_id: string; at: Date }> = await this.db.query(
      `SELECT actor_id, date_trunc('hour', max(at)) AS at
         FROM audit_entries
        WHERE action = 'auth.sign_in' AND outcome = 'success' AND actor_id = ANY($1::uuid[])
        GROUP BY actor_id`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.actor_id, r.at]));
  }
}
