import { useState } from 'react';
import { Link, useLocation } from 'react-router';
import { api, ApiError, serverNow } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { CaseStatusResponse, IncomingHandover, MyCase, PoolCase } from '../../api/types';
import { useResource, useWhileVisible } from '../../api/useResource';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { useNotificationArrivals } from '../../notifications/notifications';
import { useMe } from '../../session/session';
import { calendarDay, todayValue } from './CaseFollowUps';
import { duration, routedServicesOf } from './case-words';
import { CaseLink } from './CaseLink';
import { CaseStatusBadge } from './CaseStatusBadge';

/** How often the pool is looked at again: others claim from it all the time. */
const POOL_REFRESH_MS = 30_000;

type Flash = { tone: 'success' | 'warning' | 'error'; text: string; caseId?: string };

/** What the case page tells this screen when it sends the person back (declined a case). */
export interface CasesLocationState {
  flash?: 'declined' | 'handoverRefused';
}

/** A case's topics; a dash when its sealed facts could not be opened (null). */
function Topics({ codes }: { codes: string[] | null }) {
  const { label } = useI18n();
  return <>{codes ? codes.map((code) => label('topics', code)).join(', ') : '—'}</>;
}

function MyCases({
  service,
  cases,
  loadError,
}: {
  service: 'legal' | 'psych';
  cases: MyCase[] | undefined;
  loadError: unknown;
}) {
  const { t, label, dateTime, date } = useI18n();
  const now = serverNow();
  const today = todayValue();
  const headingId = `mine-${service}`;
  return (
    <section className="cases__mine" aria-labelledby={headingId}>
      <h3 id={headingId}>{t('cases.mine')}</h3>
      <DataTable
        items={cases}
        error={loadError}
        failedText="cases.loadFailed"
        empty={t('cases.mineEmpty')}
        columns={[
          t('cases.received'),
          t('cases.region'),
          t('cases.ageBand'),
          t('cases.topics'),
          t('cases.status'),
          t('cases.due'),
          t('cases.followUp'),
        ]}
        row={(item) => {
          const overdue = item.dueAt !== null && new Date(item.dueAt).getTime() < now;
          return (
            <tr key={item.id}>
              <td>
                <CaseLink id={item.id} createdAt={item.createdAt} />
              </td>
              <td>{label('regions', item.region)}</td>
              <td>{item.ageBand ? label('ageBands', item.ageBand) : '—'}</td>
              <td>
                <Topics codes={item.topics} />
              </td>
              <td>
                <CaseStatusBadge status={item.status} />
              </td>
              <td className={overdue ? 'overdue' : undefined}>
                {item.dueAt ? dateTime(item.dueAt) : '—'}
                {overdue ? <span className="badge badge--danger">{t('cases.overdue')}</span> : null}
              </td>
              <td className="cases__follow-up">
                {item.followUpDue ? date(calendarDay(item.followUpDue)) : '—'}
                {item.followUpDue && item.followUpDue < today ? (
                  <span className="badge badge--danger">{t('cases.followUpOverdue')}</span>
                ) : item.followUpDue === today ? (
                  <span className="badge badge--follow-up">{t('cases.followUpDue')}</span>
                ) : null}
              </td>
            </tr>
          );
        }}
      />
    </section>
  );
}

function Pool({
  service,
  cases,
  loadError,
  claiming,
  onClaim,
}: {
  service: 'legal' | 'psych';
  cases: PoolCase[] | undefined;
  loadError: unknown;
  claiming: string | null;
  onClaim: (item: PoolCase) => void;
}) {
  const { t, label } = useI18n();
  const headingId = `pool-${service}`;
  return (
    <section className="cases__pool" aria-labelledby={headingId}>
      <h3 id={headingId}>{t('cases.pool')}</h3>
      <p className="field__hint">{t('cases.poolHint')}</p>
      <DataTable
        items={cases}
        error={loadError}
        failedText="cases.loadFailed"
        empty={t('cases.poolEmpty')}
        columns={[
          t('cases.waiting'),
          t('cases.region'),
          t('cases.ageBand'),
          t('cases.topics'),
          <span className="visually-hidden">{t('cases.actions')}</span>,
        ]}
        row={(item) => (
          <tr key={item.id}>
            <td>{duration(t, item.waitingSeconds)}</td>
            <td>{label('regions', item.region)}</td>
            <td>{item.ageBand ? label('ageBands', item.ageBand) : '—'}</td>
            <td>
              <Topics codes={item.topics} />
            </td>
            <td>
              <div className="table__actions">
                <button
                  type="button"
                  className="button button--small"
                  disabled={claiming !== null}
                  aria-describedby={headingId}
                  onClick={() => onClaim(item)}
                >
                  {claiming === item.id ? t('cases.claiming') : t('cases.claim')}
                </button>
              </div>
            </td>
          </tr>
        )}
      />
    </section>
  );
}

/** Cases colleagues offered this person and they have not answered: open one to decide. */
function IncomingHandovers() {
  const { t, label, dateTime } = useI18n();
  const incoming = useResource<IncomingHandover[]>('/api/handovers');
  useNotificationArrivals((notification) => {
    if (notification.type === 'handover_offered') void incoming.reload();
  });
  if (!incoming.data || incoming.data.length === 0) return null;
  return (
    <section className="cases__handovers panel" aria-labelledby="incoming-handovers">
      <h2 id="incoming-handovers">{t('handover.incomingTitle')}</h2>
      <ul className="handovers__list">
        {incoming.data.map((h) => (
          <li key={h.handoverId}>
            <strong>{label('services', h.service)}</strong>{' '}
            {t('handover.incomingFrom', {
              name: h.fromName ?? t('handover.someone'),
              time: dateTime(h.offeredAt),
            })}{' '}
            <Link to={`/cases/${h.caseId}`}>{t('handover.review')}</Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** One service's work: the person's own cases, and the pool to claim from. */
function ServiceCases({
  service,
  showHeading,
  onFlash,
}: {
  service: 'legal' | 'psych';
  showHeading: boolean;
  onFlash: (flash: Flash | null) => void;
}) {
  const { t, label } = useI18n();
  const mine = useResource<MyCase[]>(`/api/cases?view=mine&service=${service}`);
  const pool = useResource<PoolCase[]>(`/api/cases?view=pool&service=${service}`);
  const [claiming, setClaiming] = useState<string | null>(null);

  useWhileVisible(() => {
    void pool.reload();
  }, POOL_REFRESH_MS);
  // Routing or a coordinator gave this person a case: it shows up without a reload.
  useNotificationArrivals((notification) => {
    if (
      notification.type === 'case_assigned' ||
      notification.type === 'follow_up_due' ||
      notification.type === 'handover_refused'
    ) {
      void mine.reload();
      void pool.reload();
    }
  });

  const claim = async (item: PoolCase) => {
    setClaiming(item.id);
    onFlash(null);
    // Taken, by this person or by someone faster: either way it leaves the pool at once.
    const leavePool = () => pool.setData((list) => list?.filter((c) => c.id !== item.id));
    try {
      await api.post<CaseStatusResponse>(`/api/cases/${item.id}/claim`);
      leavePool();
      onFlash({ tone: 'success', text: t('cases.claimed'), caseId: item.id });
    } catch (error) {
      // Someone faster, or a case gone: either way not in the pool (404, as for any case not
      // this person's to claim).
      if (error instanceof ApiError && error.status === 404) {
        leavePool();
        onFlash({ tone: 'warning', text: t('cases.claimGone') });
      } else
        onFlash({ tone: 'error', text: `${t('cases.claimFailed')} ${errorMessage(t, error)}` });
    } finally {
      setClaiming(null);
      await Promise.all([mine.reload(), pool.reload()]);
    }
  };

  return (
    <section className="cases__service" aria-label={label('services', service)}>
      {showHeading ? <h2>{label('services', service)}</h2> : null}
      <div className="cases__columns">
        <MyCases service={service} cases={mine.data} loadError={mine.error} />
        <Pool
          service={service}
          cases={pool.data}
          loadError={pool.error}
          claiming={claiming}
          onClaim={(item) => void claim(item)}
        />
      </div>
    </section>
  );
}

/** Lawyers' and psychologists' daily work: their cases and their services' pools. */
export function CasesScreen() {
  const { t } = useI18n();
  const me = useMe();
  const location = useLocation();
  const services = routedServicesOf(me.roles);
  const fromCase = (location.state as CasesLocationState | null)?.flash;
  const [flash, setFlash] = useState<Flash | null>(
    fromCase === 'declined'
      ? { tone: 'success', text: t('case.declined') }
      : fromCase === 'handoverRefused'
        ? { tone: 'success', text: t('handover.refused') }
        : null,
  );

  return (
    <section className="cases">
      <div className="section-header">
        <h1 tabIndex={-1}>{t('cases.title')}</h1>
        <Link to="/search" className="section-header__aside">
          {t('cases.searchLink')}
        </Link>
        <Link to="/availability" className="section-header__aside">
          {t('cases.availabilityLink')}
        </Link>
      </div>
      {flash ? (
        <Notice tone={flash.tone}>
          {flash.text}{' '}
          {flash.caseId ? (
            <Link to={`/cases/${flash.caseId}`}>{t('cases.openClaimed')}</Link>
          ) : null}
        </Notice>
      ) : null}
      <IncomingHandovers />
      {services.map((service) => (
        <ServiceCases
          key={service}
          service={service}
          showHeading={services.length > 1}
          onFlash={setFlash}
        />
      ))}
    </section>
  );
}
