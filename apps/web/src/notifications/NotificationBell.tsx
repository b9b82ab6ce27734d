import { NavLink } from 'react-router';
import { useI18n } from '../i18n/i18n';
import { notificationText } from './notification-text';
import { useNotifications } from './notifications';

/**
 * The unread count in the header, on every screen, and a polite announcement of each
 * notification that arrives live (an emergency page is also an alert on the board itself).
 */
export function NotificationBell() {
  const { t } = useI18n();
  const { unread, latest } = useNotifications();
  const name =
    unread > 0 ? t('notifications.bellUnread', { count: unread }) : t('notifications.bellNone');
  return (
    <>
      <NavLink
        to="/notifications"
        className={unread > 0 ? 'bell bell--unread' : 'bell'}
        aria-label={name}
        title={name}
      >
        <svg className="bell__icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
          <path
            d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.4A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.6L18 12.6V9a6 6 0 0 0-6-6Zm-2.5 15a2.5 2.5 0 0 0 5 0Z"
            fill="currentColor"
          />
        </svg>
        {unread > 0 ? (
          <span className="bell__count" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        ) : null}
      </NavLink>
      <p className="visually-hidden" role="status">
        {latest ? notificationText(t, latest) : ''}
      </p>
    </>
  );
}
