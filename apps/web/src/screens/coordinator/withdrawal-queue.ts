import type { PendingWithdrawal } from '../../api/types';

/**
 * What a coordinator may do with one queued withdrawal: decide it, or not, because they asked
 * for it themselves (the server refuses that), or because it is confirmed and only waits to
 * be applied. The server decides again on every request; this only keeps refused buttons away.
 */
export type WithdrawalDecision = 'open' | 'own' | 'confirmed';

export function withdrawalDecision(
  withdrawal: PendingWithdrawal,
  myUserId: string,
): WithdrawalDecision {
  if (withdrawal.status === 'confirmed') return 'confirmed';
  return withdrawal.requestedBy === myUserId ? 'own' : 'open';
}

/** The API lists the queue oldest first; coordinators read the newest first. */
export function newestFirst(list: readonly PendingWithdrawal[]): PendingWithdrawal[] {
  return [...list].sort(
    (a, b) =>
      new Date(b.requestedAt).getTime() - new Date(a.requestedAt).getTime() ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
