import { Link } from 'react-router';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { EarlierCase } from '../../api/types';
import { useResource } from '../../api/useResource';
import { ListState } from '../../components/DataTable';
import { useI18n } from '../../i18n/i18n';
import { statusLabel } from './case-words';

/** A day (YYYY-MM-DD) as a date to show: noon UTC, so no time zone moves it to another day. */
const asDay = (day: string) => new Date(`${day}T12:00:00Z`);

/**
 * "Earlier cases of this caller": the caller's other cases in this case's service, as far as
 * the caller's consent covers them, metadata only (the day it opened, how far it went, its
 * outcome); the reader's own can be opened. Nothing is shown to whom the server refuses it.
 */
export function EarlierCases({ caseId, service }: { caseId: string; service: string }) {
  const { t, label, date } = useI18n();
  const earlier = useResource<EarlierCase[]>(`/api/cases/${caseId}/earlier-cases`);
  if (earlier.error instanceof ApiError && earlier.error.status === 404) return null;
  return (
    <section className="panel earlier-cases" aria-labelledby="earlier-cases-title">
      <h2 id="earlier-cases-title">{t('earlierCases.title')}</h2>
      <p className="field__hint">
        {t('earlierCases.hint', { service: label('services', service) })}
      </p>
      {earlier.error ? (
        <p className="notice notice--error">
          {t('earlierCases.failed')} {errorMessage(t, earlier.error)}
        </p>
      ) : null}
      <ListState items={earlier.data} failed={!!earlier.error} empty={t('earlierCases.none')}>
        {(cases) => (
          <ul className="earlier-cases__list">
            {cases.map((item) => {
              const text = [
                date(asDay(item.openedOn)),
                statusLabel(t, item.status),
                item.outcome ? label('caseOutcomes', item.outcome) : null,
              ]
                .filter(Boolean)
                .join(' · ');
              return (
                <li key={item.id}>
                  {item.mine ? <Link to={`/cases/${item.id}`}>{text}</Link> : text}
                  {item.mine ? null : (
                    <span className="muted"> — {t('earlierCases.colleague')}</span>
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
