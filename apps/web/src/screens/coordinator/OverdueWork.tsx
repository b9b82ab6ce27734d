import { Link } from 'react-router';
import type { OverdueWork } from '../../api/types';
import { useResource, useWhileVisible } from '../../api/useResource';
import { DataTable, ListState } from '../../components/DataTable';
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
  return (
    <section className="panel overdue-work" aria-labelledby="overdue-work-title">
      <h2 id="overdue-work-title">{t('overdue.title')}</h2>
      <ListState
        items={data ? [...data.followUps, ...data.handovers] : undefined}
        error={work.error}
        empty={t('overdue.none')}
      >
        {() =>
          data ? (
            <>
              <DataTable
                items={data.followUps}
                empty={null}
                caption={t('overdue.followUps')}
                className="table--compact"
                columns={[
                  t('overdue.case'),
                  t('overdue.service'),
                  t('overdue.assignee'),
                  t('overdue.dueOn'),
                  t('overdue.state'),
                ]}
                row={(f) => (
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
                )}
              />
              <DataTable
                items={data.handovers}
                empty={null}
                caption={t('overdue.handovers')}
                className="table--compact"
                columns={[
                  t('overdue.case'),
                  t('overdue.service'),
                  t('overdue.from'),
                  t('overdue.to'),
                  t('overdue.offeredAt'),
                ]}
                row={(h) => (
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
                )}
              />
            </>
          ) : null
        }
      </ListState>
    </section>
  );
}
