import { Link } from 'react-router';
import { errorMessage } from '../../api/error-message';
import type { OverdueWork } from '../../api/types';
import { useResource, useWhileVisible } from '../../api/useResource';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { calendarDay } from '../cases/CaseFollowUps';

const REFRESH_MS = 60_000;

/**
 * What is slipping, for coordinators (13.6): follow-up calls whose day has come and that
 * nobody marked done, and handovers nobody answered. Metadata only: the server sends no note.
 */
export function OverdueWorkPanel({ nameOf }: { nameOf: (userId: string | null) => string | null }) {
  const { t, label, date, dateTime } = useI18n();
  const work = useResource<OverdueWork>('/api/overdue-work');
  useWhileVisible(() => {
    void work.reload();
  }, REFRESH_MS);
  const data = work.data;
  const empty = data && data.followUps.length === 0 && data.handovers.length === 0;
  return (
    <section className="panel overdue-work" aria-labelledby="overdue-work-title">
      <h2 id="overdue-work-title">{t('overdue.title')}</h2>
      {work.error ? (
        <Notice tone="error">{errorMessage(t, work.error)}</Notice>
      ) : !data ? (
        <p role="status">{t('app.loading')}</p>
      ) : empty ? (
        <p className="empty">{t('overdue.none')}</p>
      ) : null}
      {data && data.followUps.length > 0 ? (
        <div className="table-wrap">
          <table className="table table--compact">
            <caption>{t('overdue.followUps')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('overdue.case')}</th>
                <th scope="col">{t('overdue.service')}</th>
                <th scope="col">{t('overdue.assignee')}</th>
                <th scope="col">{t('overdue.dueOn')}</th>
                <th scope="col">{t('overdue.state')}</th>
              </tr>
            </thead>
            <tbody>
              {data.followUps.map((f) => (
                <tr key={f.id}>
                  <td>
                    <Link to={`/cases/${f.caseId}`}>
                      {t('overdue.open')}
                      <span className="visually-hidden">
                        {' '}
                        — {label('services', f.service)}, {date(calendarDay(f.dueOn))}
                      </span>
                    </Link>
                  </td>
                  <td>{label('services', f.service)}</td>
                  <td>{nameOf(f.assigneeId) ?? '—'}</td>
                  <td>{date(calendarDay(f.dueOn))}</td>
                  <td>
                    {f.overdue ? (
                      <span className="badge badge--danger">{t('overdue.overdue')}</span>
                    ) : (
                      <span className="badge badge--follow-up">{t('overdue.dueToday')}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {data && data.handovers.length > 0 ? (
        <div className="table-wrap">
          <table className="table table--compact">
            <caption>{t('overdue.handovers')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('overdue.case')}</th>
                <th scope="col">{t('overdue.service')}</th>
                <th scope="col">{t('overdue.from')}</th>
                <th scope="col">{t('overdue.to')}</th>
                <th scope="col">{t('overdue.offeredAt')}</th>
              </tr>
            </thead>
            <tbody>
              {data.handovers.map((h) => (
                <tr key={h.id}>
                  <td>
                    <Link to={`/cases/${h.caseId}`}>
                      {t('overdue.open')}
                      <span className="visually-hidden">
                        {' '}
                        — {label('services', h.service)}, {dateTime(h.offeredAt)}
                      </span>
                    </Link>
                  </td>
                  <td>{label('services', h.service)}</td>
                  <td>{nameOf(h.fromId) ?? '—'}</td>
                  <td>{nameOf(h.toId) ?? '—'}</td>
                  <td>{dateTime(h.offeredAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
