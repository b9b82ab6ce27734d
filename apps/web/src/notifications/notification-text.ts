import type { AppNotification } from '../api/types';
import type { Params } from '../i18n/format';
import type { MessageKey } from '../i18n/messages.ru';

/** useI18n()'s t, named here so that this module stays free of React (and testable). */
type Translate = (key: MessageKey, params?: Params) => string;

const TEXT: Record<string, MessageKey> = {
  emergency_page: 'notifications.type.emergency_page',
  case_assigned: 'notifications.type.case_assigned',
  break_glass: 'notifications.type.break_glass',
  sla_breached: 'notifications.type.sla_breached',
  lookup_burst: 'notifications.type.lookup_burst',
  decline_burst: 'notifications.type.decline_burst',
  withdrawal_pending: 'notifications.type.withdrawal_pending',
  withdrawal_burst: 'notifications.type.withdrawal_burst',
  role_grant_pending: 'notifications.type.role_grant_pending',
  passkey_added: 'notifications.type.passkey_added',
  follow_up_due: 'notifications.type.follow_up_due',
  handover_offered: 'notifications.type.handover_offered',
  handover_refused: 'notifications.type.handover_refused',
};

/** What a notification says, in words; a type this build does not know is named by its code. */
export function notificationText(t: Translate, notification: AppNotification): string {
  const key = TEXT[notification.type];
  return key ? t(key) : t('notifications.type.other', { type: notification.type });
}

/**
 * Where a notification leads: the board for a page, the queue a coordinator decides in,
 * otherwise its case.
 */
export function notificationTarget(notification: AppNotification): string | null {
  if (notification.type === 'emergency_page') return '/emergencies';
  if (notification.type === 'role_grant_pending') return '/role-grants';
  // Both go to coordinators only: the request to decide, and a burst to check against it.
  if (notification.type === 'withdrawal_pending' || notification.type === 'withdrawal_burst')
    return '/withdrawals';
  return notification.caseId ? `/cases/${notification.caseId}` : null;
}
