import { AuditTrail } from '@mayak/audit';
import { DecryptionError, EnvelopeCipher, ExactTimes } from '@mayak/platform';
import { EntityManager } from 'typeorm';
import { CaseError, CaseException } from './case.exception';

/*
 * What follow-ups and handovers share with the case lifecycle, which ends them when a case
 * closes or leaves its assignee: kept apart from their services so that the lifecycle can
 * call them without a cycle between the services.
 */

/** Where a follow-up's exact times are sealed; one spelling for writers and readers. */
export const followUpTime = (id: string, column: 'due_at' | 'created_at' | 'closed_at') => ({
  table: 'case_follow_ups',
  id,
  column,
});
const noteBinding = (table: string, id: string) => ({ table, id, column: 'note' });

/**
 * Seals free text under a data key of its own, bound to its row, as case notes are. Shared by
 * follow-ups and handovers.
 */
export function sealNote(
  cipher: EnvelopeCipher,
  table: 'case_follow_ups' | 'case_handovers',
  id: string,
  text: string | undefined,
): [Buffer | null, Buffer | null] {
  if (!text) return [null, null];
  const dek = cipher.newDataKey(table, id);
  return [dek.wrapped, cipher.encrypt(dek, noteBinding(table, id), text)];
}

/**
 * Opens a sealed note for a reader the policy has allowed; a note that does not open is an
 * integrity failure, audited and refused, as a case note's is.
 */
export async function openNote(
  cipher: EnvelopeCipher,
  audit: AuditTrail,
  readerId: string,
  table: 'case_follow_ups' | 'case_handovers',
  id: string,
  dekWrapped: Buffer | null,
  sealed: Buffer | null,
): Promise<string | null> {
  if (!dekWrapped || !sealed) return null;
  try {
    const dek = cipher.unwrapDataKey(table, id, dekWrapped);
    return cipher.decrypt(dek, noteBinding(table, id), sealed);
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    await audit.record({
      actorId: readerId,
      action: 'crypto.decrypt',
      recordType: table === 'case_follow_ups' ? 'case_follow_up' : 'case_handover',
      recordId: id,
      outcome: 'failure',
      reason: 'integrity',
    });
    throw new CaseException(CaseError.RecordUnreadable);
  }
}

/** Cancels the open follow-ups of a case that is closing, inside the caller's transaction. */
export async function cancelFollowUps(
  em: EntityManager,
  times: ExactTimes,
  caseId: string,
): Promise<void> {
  const open: Array<{ id: string }> = await em.query(
    `SELECT id FROM case_follow_ups WHERE case_id = $1 AND status = 'open'`,
    [caseId],
  );
  for (const { id } of open) {
    const closed = times.seal(followUpTime(id, 'closed_at'));
    await em.query(
      `UPDATE case_follow_ups SET status = 'cancelled', closed_at = $2, closed_enc = $3 WHERE id = $1`,
      [id, closed.week, closed.sealed],
    );
  }
}

export const handoverTime = (id: string, column: 'created_at' | 'answered_at') => ({
  table: 'case_handovers',
  id,
  column,
});

/**
 * Ends the pending handover of a case inside the caller's transaction, when the case leaves
 * its assignee another way (closed, declined, reassigned by a coordinator).
 */
export async function withdrawHandovers(
  em: EntityManager,
  times: ExactTimes,
  caseId: string,
): Promise<void> {
  const pending: Array<{ id: string }> = await em.query(
    `SELECT id FROM case_handovers WHERE case_id = $1 AND status = 'pending'`,
    [caseId],
  );
  for (const { id } of pending) {
    const answered = times.seal(handoverTime(id, 'answered_at'));
    await em.query(
      `UPDATE case_handovers SET status = 'withdrawn', answered_at = $2, answered_enc = $3 WHERE id = $1`,
      [id, answered.week, answered.sealed],
    );
  }
}
