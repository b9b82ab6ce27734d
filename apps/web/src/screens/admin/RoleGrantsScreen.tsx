import { useState } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { PendingGrant } from '../../api/types';
import { useResource } from '../../api/useResource';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';

/**
 * Roles waiting for a second person (issue 12.1), for admins and coordinators: the other
 * side confirms or rejects; the server decides who may, this only hides what it would refuse.
 */
export function RoleGrantsScreen() {
  const { t, dateTime } = useI18n();
  const grants = useResource<PendingGrant[]>('/api/role-grants');
  const [actionError, setActionError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const error = actionError ?? (grants.error ? errorMessage(t, grants.error) : null);

  const decide = async (grant: PendingGrant, decision: 'confirm' | 'reject') => {
    setBusy(true);
    setActionError(null);
    try {
      await api.post(`/api/role-grants/${grant.id}/${decision}`);
      setDone(t(decision === 'confirm' ? 'grants.confirmed' : 'grants.rejected'));
      await grants.reload();
    } catch (e) {
      setActionError(errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="role-grants">
      <h1 tabIndex={-1}>{t('grants.title')}</h1>
      <p>{t('grants.intro')}</p>
      {done ? <Notice tone="success">{done}</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <DataTable
        items={grants.data}
        failed={!!error}
        empty={t('grants.empty')}
        columns={[
          t('grants.colUser'),
          t('grants.colRole'),
          t('grants.colProposed'),
          t('grants.colActions'),
        ]}
        row={(grant) => (
          <tr key={grant.id} data-grant={`${grant.username}:${grant.role}`}>
            <th scope="row">
              {grant.username}
              {grant.granteeEnrolled ? null : (
                <span className="muted"> ({t('grants.notEnrolled')})</span>
              )}
            </th>
            <td>{t(`role.${grant.role}`)}</td>
            <td>
              {grant.proposedByUsername}{' '}
              {grant.proposedAs === 'admin' ? t('grants.asAdmin') : t('grants.asCoordinator')},{' '}
              {dateTime(grant.proposedAt)}
            </td>
            <td>
              <div className="table__actions">
                {grant.mayConfirm ? (
                  <button
                    type="button"
                    className="button button--small"
                    disabled={busy}
                    aria-label={`${t('grants.confirm')} ${grant.username} ${t(`role.${grant.role}`)}`}
                    onClick={() => void decide(grant, 'confirm')}
                  >
                    {t('grants.confirm')}
                  </button>
                ) : null}
                <button
                  type="button"
                  className="button button--small button--secondary"
                  disabled={busy}
                  aria-label={`${t('grants.reject')} ${grant.username} ${t(`role.${grant.role}`)}`}
                  onClick={() => void decide(grant, 'reject')}
                >
                  {t('grants.reject')}
                </button>
              </div>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
