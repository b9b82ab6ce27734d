import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/error-message';
import { ListState } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { notificationTarget, notificationText } from '../../notifications/notification-text';
import { useNotifications } from '../../notifications/notifications';

/** Everything the server told this person, newest first; opening one marks it read. */
export function NotificationsScreen() {
  const { t, dateTime } = useI18n();
  const { list, unread, markRead, markAllRead } = useNotifications();
  const [error, setError] = useState<string | null>(null);

  const act = (work: () => Promise<void>) => {
    setError(null);
    work().catch((e: unknown) => setError(errorMessage(t, e)));
  };

  return (
    <section>
      <div className="section-header">
        <h1 tabIndex={-1}>{t('notifications.title')}</h1>
        {unread > 0 ? (
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => act(markAllRead)}
          >
            {t('notifications.markAllRead')}
          </button>
        ) : null}
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <ListState items={list} empty={t('notifications.empty')}>
        {(notifications) => (
          <ul className="notification-list">
            {notifications.map((notification) => {
              const target = notificationTarget(notification);
              const text = notificationText(t, notification);
              return (
                <li
                  key={notification.id}
                  className={
                    notification.readAt
                      ? 'notification-list__item'
                      : 'notification-list__item notification-list__item--unread'
                  }
                >
                  <span className="notification-list__time">
                    {dateTime(notification.createdAt)}
                  </span>
                  <span className="notification-list__text">
                    {notification.readAt ? null : (
                      <span className="visually-hidden">{t('notifications.unread')}: </span>
                    )}
                    {target ? (
                      <Link
                        to={target}
                        onClick={() => {
                          if (!notification.readAt) act(() => markRead(notification.id));
                        }}
                      >
                        {text}
                      </Link>
                    ) : (
                      text
                    )}
                  </span>
                  {notification.readAt ? null : (
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      onClick={() => act(() => markRead(notification.id))}
                    >
                      {t('notifications.markRead')}
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </ListState>
    </section>
  );
}
