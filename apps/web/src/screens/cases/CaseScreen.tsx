import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { ApiError, serverNow } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { CaseDetail, StaffMember } from '../../api/types';
import { useResource } from '../../api/useResource';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { useNotificationArrivals, useNotifications } from '../../notifications/notifications';
import { useMe } from '../../session/session';
import { CaseActions } from './CaseActions';
import { CaseContactView } from './CaseContactView';
import { CaseFollowUps } from './CaseFollowUps';
import { CaseHandover } from './CaseHandover';
import { CaseNotes } from './CaseNotes';
import { CaseStatusBadge } from './CaseStatusBadge';
import type { CasesLocationState } from './CasesScreen';
import { CaseTimeline } from './CaseTimeline';
import { EarlierCases } from './EarlierCases';
import { isUuid } from './case-words';

/** Break-glass access lasts an hour from the grant (BREAK_GLASS_MS on the server). */
const BREAK_GLASS_MS = 60 * 60_000;

/** What the emergency board hands over after breaking the glass (in memory, not the URL). */
export interface CaseLocationState {
  breakGlassExpiresAt?: string;
}

/**
 * When this reader's break-glass access ends, if that is how they see the case: from the
 * grant the board just made, or else from their latest break_glass entry on the timeline.
 */
function breakGlassUntil(
  detail: CaseDetail,
  meId: string,
  handedOver: string | undefined,
): Date | null {
  const now = serverNow();
  if (handedOver && new Date(handedOver).getTime() > now) return new Date(handedOver);
  const grants = (detail.timeline ?? []).filter(
    (entry) => entry.type === 'break_glass' && entry.actorId === meId,
  );
  const last = grants[grants.length - 1];
  if (!last) return null;
  const until = new Date(new Date(last.at).getTime() + BREAK_GLASS_MS);
  return until.getTime() > now ? until : null;
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="facts__item">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** One case, as far as this reader may see it: the server leaves out what they may not. */
export function CaseScreen() {
  const { id } = useParams();
  const { t, label, dateTime, time } = useI18n();
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const valid = isUuid(id);
  const detail = useResource<CaseDetail>(valid ? `/api/cases/${id}` : null);
  // Coordinators may name the people on a case; others see "you" or "a colleague".
  const isCoordinator = me.roles.includes('coordinator');
  const staff = useResource<StaffMember[]>(isCoordinator ? '/api/staff' : null);
  const [flash, setFlash] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [grantedUntil, setGrantedUntil] = useState<string | undefined>(undefined);

  useNotificationArrivals((notification) => {
    if (notification.caseId === id) void detail.reload();
  });

  // Opening the case is reading what was said about it: its notifications stop counting as new.
  const { list: notifications, markRead } = useNotifications();
  const loaded = detail.data?.id;
  useEffect(() => {
    if (!loaded) return;
    for (const n of notifications ?? [])
      if (n.caseId === loaded && !n.readAt) markRead(n.id).catch(() => undefined);
  }, [loaded, notifications, markRead]);

  const nameOf = (userId: string | null | undefined): string => {
    if (!userId) return t('case.actor.system');
    if (userId === me.id) return t('case.actor.you');
    return staff.data?.find((s) => s.userId === userId)?.username ?? t('case.actor.colleague');
  };

  const heading = (text: string) => <h1 tabIndex={-1}>{text}</h1>;

  if (!valid || (detail.error instanceof ApiError && detail.error.status === 404))
    return (
      <section>
        {heading(t('case.notFoundTitle'))}
        <p>{t('case.notFound')}</p>
        <p>
          <Link to="/">{t('notFound.back')}</Link>
        </p>
      </section>
    );

  const data = detail.data;
  if (!data)
    return (
      <section>
        {heading(t('case.title'))}
        {detail.error ? (
          <Notice tone="error">
            {t('case.loadFailed')} {errorMessage(t, detail.error)}
          </Notice>
        ) : (
          <p role="status">{t('app.loading')}</p>
        )}
      </section>
    );

  const handedOver =
    grantedUntil ?? (location.state as CaseLocationState | null)?.breakGlassExpiresAt;
  const breakGlass = data.contact !== undefined ? breakGlassUntil(data, me.id, handedOver) : null;
  const withdrawn = data.erased?.includes('contact') ?? false;
  const mineToWork = data.assigneeId === me.id;
  const open = data.status === 'assigned' || data.status === 'in_progress';
  const routed = data.service !== 'emergency';
  const changed = (message: string) => {
    setFlash({ tone: 'success', text: message });
    void detail.reload();
  };
  const handover =
    data.handover !== undefined && routed ? (
      <CaseHandover
        detail={data}
        meId={me.id}
        canOffer={mineToWork && open && !withdrawn}
        onChanged={changed}
        onAnswered={(accepted, message) => {
          if (accepted) changed(message);
          else
            void navigate('/cases', {
              state: { flash: 'handoverRefused' } satisfies CasesLocationState,
            });
        }}
      />
    ) : null;
  const offeredToMe = data.handover?.toId === me.id;

  return (
    <article className="case">
      <div className="case__header">
        {heading(t('case.titleOf', { service: label('services', data.service) }))}
        <CaseStatusBadge status={data.status} service={data.service} />
      </div>
      <dl className="facts">
        {data.region ? <Fact term={t('cases.region')}>{label('regions', data.region)}</Fact> : null}
        {data.ageBand ? (
          <Fact term={t('cases.ageBand')}>{label('ageBands', data.ageBand)}</Fact>
        ) : null}
        {data.topics && data.topics.length > 0 ? (
          <Fact term={t('cases.topics')}>
            {data.topics.map((code) => label('topics', code)).join(', ')}
          </Fact>
        ) : null}
        <Fact term={t('cases.received')}>{dateTime(data.createdAt)}</Fact>
        {data.assigneeId !== undefined ? (
          <Fact term={t('case.assignee')}>
            {data.assigneeId ? nameOf(data.assigneeId) : t('case.inPool')}
          </Fact>
        ) : null}
        {data.dueAt && data.status !== 'closed' ? (
          <Fact term={t('cases.due')}>{dateTime(data.dueAt)}</Fact>
        ) : null}
        {data.closedAt ? <Fact term={t('case.closedAt')}>{dateTime(data.closedAt)}</Fact> : null}
        {data.outcome ? (
          <Fact term={t('case.outcome')}>{label('caseOutcomes', data.outcome)}</Fact>
        ) : null}
      </dl>

      {breakGlass ? (
        <Notice tone="warning">
          <strong>{t('case.breakGlassBanner', { time: time(breakGlass) })}</strong>{' '}
          {t('case.breakGlassBannerMore')}
        </Notice>
      ) : null}
      {withdrawn ? <Notice tone="warning">{t('case.withdrawnBanner')}</Notice> : null}
      {data.withheld === 'no_consent' && breakGlass === null ? (
        <Notice tone="warning">{t('case.withheldBanner')}</Notice>
      ) : null}
      {flash ? <Notice tone={flash.tone}>{flash.text}</Notice> : null}
      {offeredToMe ? handover : null}

      <CaseActions
        detail={data}
        mine={mineToWork}
        onDone={(message) => {
          setFlash({ tone: 'success', text: message });
          void detail.reload();
        }}
        onDeclined={() => void navigate('/cases', { state: { flash: 'declined' } })}
        onBrokeGlass={(expiresAt) => {
          setGrantedUntil(expiresAt);
          setFlash(null);
          void detail.reload();
        }}
        onError={(message) => setFlash({ tone: 'error', text: message })}
      />

      <div className="case__columns">
        <div className="case__main">
          {data.contact !== undefined ? (
            <CaseContactView contact={data.contact} />
          ) : withdrawn ? null : (
            <section className="panel" aria-labelledby="case-contact-title">
              <h2 id="case-contact-title">{t('case.contact')}</h2>
              <p className="muted">
                {data.service === 'emergency' && me.roles.includes('responder')
                  ? t('case.contactHiddenEmergency')
                  : t('case.contactHidden')}
              </p>
            </section>
          )}
          {data.notes !== undefined ? (
            <CaseNotes
              caseId={data.id}
              notes={data.notes}
              canWrite={
                !withdrawn && data.status !== 'closed' && (mineToWork || breakGlass !== null)
              }
              nameOf={nameOf}
              onAdded={() => void detail.reload()}
            />
          ) : null}
          {data.followUps !== undefined && routed ? (
            <CaseFollowUps
              detail={data}
              canWrite={mineToWork && open && !withdrawn}
              onChanged={changed}
            />
          ) : null}
          {offeredToMe ? null : handover}
          {data.contact !== undefined && breakGlass === null ? (
            <EarlierCases caseId={data.id} service={data.service} />
          ) : null}
        </div>
        {data.timeline ? (
          <div className="case__side">
            <CaseTimeline timeline={data.timeline} nameOf={nameOf} />
          </div>
        ) : null}
      </div>
    </article>
  );
}
