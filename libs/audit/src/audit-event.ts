export type AuditOutcome = 'allow' | 'deny' | 'success' | 'failure';

/**
 * One line of the audit trail: who did what to which record, and how it ended. Only ids and
 * fixed codes belong here, never the data itself: `reason` is a code such as
 * `not_assignee`, not free text.
 */
export interface AuditEvent {
  actorId: string | null;
  action: string;
  recordType?: string;
  recordId?: string;
  outcome: AuditOutcome;
  reason?: string;
  breakGlass?: boolean;
}
