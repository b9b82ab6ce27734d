import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, ApiError, serverNow } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { EmergencyEntry } from '../../api/types';
import { useResource, useWhileVisible } from '../../api/useResource';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { ReasonDialog } from '../../components/ReasonDialog';
import { useI18n } from '../../i18n/i18n';
import { useNotificationArrivals, useNotifications } from '../../notifications/notifications';
import { useMe } from '../../session/session';
import { statusLabel } from '../cases/case-words';
import { Countdown } from './Countdown';

/** The board is looked at again this often even when live (another responder acknowledged). */
const REFRESH_MS = 20_000;
/** A page that arrived here and is still unacknowledged sounds again this often. */
const REMIND_MS = 30_000;

type Flash = { tone: 'success' | 'warning' | 'error'; text: string };

function LiveState() {
  const { t } = useI18n();
  const { connection, sound, desktop } = useNotifications();
  return (
    <div className="board__tools">
      <span className={`live live--${connection}`} role="status">
        <span className="live__dot" aria-hidden="true" />
        {connection === 'live'
          ? t('board.live')
          : connection === 'connecting'
            ? t('board.connecting')
            : t('board.offline')}
      </span>
      <button
        type="button"
        className={sound.on ? 'button button--small' : 'button button--secondary button--small'}
        aria-pressed={sound.on}
        onClick={sound.toggle}
      >
        {sound.on ? t('board.soundOn') : t('board.soundOff')}
      </button>
      {sound.on && sound.blocked ? (
        <span className="field__hint board__sound-blocked">{t('board.soundBlocked')}</span>
      ) : null}
      {desktop.permission === 'default' ? (
        <button
          type="button"
          className="button button--secondary button--small"
          title={t('board.notificationsHint')}
          onClick={() => void desktop.request()}
        >
          {t('board.notificationsOff')}
        </button>
      ) : desktop.permission === 'granted' ? (
        <span className="board__notifications">{t('board.notificationsOn')}</span>
      ) : desktop.permission === 'denied' ? (
        <span className="field__hint">{t('board.notificationsDenied')}</span>
      ) : null}
    </div>
  );
}

/**
 * The responder's screen: every emergency they were paged for or hold, newest first, with
 * the time left to acknowledge. New pages arrive live (server-sent events), with a sound if
 * the person turned it on; acknowledging is one click and stops the clock.
 */
export function EmergencyBoardScreen() {
  const { t, label, time, dateTime } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const { sound } = useNotifications();
  const board = useResource<EmergencyEntry[]>('/api/emergencies');
  const [flash, setFlash] = useState<Flash | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [breaking, setBreaking] = useState<EmergencyEntry | null>(null);
  const [dialogError, setDialogError] = useState<string | null>(null);
  // Cases that arrived while the board was open: marked until acknowledged.
  const [arrived, setArrived] = useState<ReadonlySet<string>>(new Set());
  const [announced, setAnnounced] = useState<string | null>(null);

  useWhileVisible(() => {
    void board.reload();
  }, REFRESH_MS);

  useNotificationArrivals((notification) => {
    if (notification.type !== 'emergency_page' && notification.type !== 'sla_breached') return;
    if (notification.type === 'emergency_page' && notification.caseId) {
      const caseId = notification.caseId;
      setArrived((current) => new Set(current).add(caseId));
      setAnnounced(caseId);
    }
    void board.reload();
  });

  const acknowledge = async (entry: EmergencyEntry) => {
    setBusy(entry.id);
    setFlash(null);
    try {
      await api.post(`/api/cases/${entry.id}/acknowledge`);
      const at = new Date(serverNow()).toISOString();
      board.setData((list) =>
        list?.map((e) =>
          e.id === entry.id
            ? { ...e, status: 'assigned', ackDueAt: null, acknowledgedAt: at, assigneeId: me.id }
            : e,
        ),
      );
      setFlash({
        tone: 'success',
        text: t('board.acknowledgedRegion', { region: label('regions', entry.region) }),
      });
    } catch (error) {
      setFlash(
        error instanceof ApiError && error.code === 'already_acknowledged'
          ? { tone: 'warning', text: t('board.alreadyAcknowledged') }
          : { tone: 'error', text: `${t('board.acknowledgeFailed')} ${errorMessage(t, error)}` },
      );
    } finally {
      setBusy(null);
      void board.reload();
    }
  };

  const breakGlass = async (entry: EmergencyEntry, reason: string) => {
    setBusy(entry.id);
    setDialogError(null);
    try {
      const grant = await api.post<{ expiresAt: string }>(`/api/cases/${entry.id}/break-glass`, {
        reason,
      });
      setBreaking(null);
      void navigate(`/cases/${entry.id}`, { state: { breakGlassExpiresAt: grant.expiresAt } });
    } catch (error) {
      setDialogError(errorMessage(t, error));
    } finally {
      setBusy(null);
    }
  };

  const entries = board.data;
  const waiting = entries?.filter((e) => e.ackDueAt !== null) ?? [];
  const unansweredArrival = waiting.some((e) => arrived.has(e.id));

  // Another tab may be in front: the window title says a page is waiting, until it is taken.
  useEffect(() => {
    if (!unansweredArrival) return;
    const previous = document.title;
    document.title = `⚠ ${t('board.titleAlert')} — ${previous}`;
    return () => {
      document.title = previous;
    };
  }, [unansweredArrival, t]);

  // One beep is easy to miss at 3 a.m.: while a page that arrived here waits, remind.
  const { on: soundOn, play } = sound;
  useEffect(() => {
    if (!soundOn || !unansweredArrival) return;
    const timer = window.setInterval(play, REMIND_MS);
    return () => window.clearInterval(timer);
  }, [soundOn, unansweredArrival, play]);
  const newest = entries?.find((e) => e.id === announced && e.ackDueAt !== null);

  return (
    <section className="board">
      <div className="section-header">
        <h1 tabIndex={-1}>{t('board.title')}</h1>
        <LiveState />
      </div>
      <p className="field__hint">
        {t('board.hint')} <Link to="/availability">{t('board.webhookLink')}</Link>
      </p>
      {newest ? (
        <Notice tone="warning">
          {t('board.newEmergency', { region: label('regions', newest.region) })}
        </Notice>
      ) : null}
      {flash ? <Notice tone={flash.tone}>{flash.text}</Notice> : null}
      {board.error ? (
        <Notice tone="error">
          {t('board.loadFailed')} {errorMessage(t, board.error)}
        </Notice>
      ) : null}
      {entries && entries.length > 0 ? (
        <p className="board__summary">
          {waiting.length > 0
            ? t('board.waiting', { count: waiting.length })
            : t('board.noneWaiting')}
        </p>
      ) : null}
      <DataTable
        items={entries}
        failed={!!board.error}
        empty={t('board.empty')}
        className="board__table"
        columns={[
          t('board.received'),
          t('cases.region'),
          t('board.tier'),
          t('board.timeLeft'),
          t('board.consent'),
          <span className="visually-hidden">{t('cases.actions')}</span>,
        ]}
        row={(entry) => {
          const pendingAck = entry.ackDueAt !== null;
          const rowClass = [
            'board__row',
            pendingAck ? 'board__row--pending' : '',
            arrived.has(entry.id) && pendingAck ? 'board__row--new' : '',
          ]
            .join(' ')
            .trim();
          return (
            <tr key={entry.id} className={rowClass} data-case-id={entry.id}>
              <td data-label={t('board.received')}>
                {dateTime(entry.createdAt)}
                {arrived.has(entry.id) && pendingAck ? (
                  <span className="badge badge--danger">{t('board.new')}</span>
                ) : null}
              </td>
              <td data-label={t('cases.region')}>{label('regions', entry.region)}</td>
              <td>
                {t('board.tierN', { tier: entry.tier })}
                {entry.round > 1 ? (
                  <span className="muted"> · {t('board.round', { round: entry.round })}</span>
                ) : null}
              </td>
              <td
                className="board__cell--countdown"
                data-label={entry.ackDueAt ? t('board.timeLeft') : undefined}
              >
                {entry.ackDueAt ? (
                  <Countdown dueAt={entry.ackDueAt} />
                ) : (
                  <span className="acknowledged">
                    {entry.assigneeId === me.id
                      ? t('board.acknowledgedByYou', {
                          time: entry.acknowledgedAt ? time(entry.acknowledgedAt) : '',
                        })
                      : t('board.acknowledgedByOther')}
                    {' · '}
                    {statusLabel(t, entry.status)}
                  </span>
                )}
              </td>
              <td data-label={t('board.consent')}>
                {entry.consented ? (
                  t('board.consented')
                ) : (
                  <span className="badge badge--danger">{t('board.noConsent')}</span>
                )}
              </td>
              <td className="board__cell--actions">
                <div className="table__actions">
                  {pendingAck ? (
                    <button
                      type="button"
                      className="button button--danger"
                      disabled={busy !== null}
                      onClick={() => void acknowledge(entry)}
                    >
                      {busy === entry.id ? t('board.acknowledging') : t('board.acknowledge')}
                    </button>
                  ) : null}
                  <Link
                    to={`/cases/${entry.id}`}
                    className="button button--secondary button--small"
                  >
                    {t('cases.open')}
                  </Link>
                  {!entry.consented && me.roles.includes('responder') ? (
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      disabled={busy !== null}
                      onClick={() => {
                        setDialogError(null);
                        setBreaking(entry);
                      }}
                    >
                      {t('board.breakGlassEllipsis')}
                    </button>
                  ) : null}
                </div>
              </td>
            </tr>
          );
        }}
      />
      {breaking ? (
        <ReasonDialog
          title={t('board.breakGlassTitle')}
          explanation={<p>{t('board.breakGlassText')}</p>}
          label={t('board.breakGlassReason')}
          confirmLabel={t('board.breakGlass')}
          danger
          busy={busy !== null}
          error={dialogError}
          onCancel={() => setBreaking(null)}
          onConfirm={(reason) => void breakGlass(breaking, reason)}
        />
      ) : null}
    </section>
  );
}
