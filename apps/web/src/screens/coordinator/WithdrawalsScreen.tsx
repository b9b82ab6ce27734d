import { useEffect, useId, useRef, useState } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { PendingWithdrawal } from '../../api/types';
import { useResource } from '../../api/useResource';
import { ConfirmDialog } from '../../components/Dialog';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { useMe } from '../../session/session';
import { newestFirst, withdrawalDecision } from './withdrawal-queue';

type Decision = 'confirm' | 'reject';

/**
 * Consent withdrawals that would destroy records someone else logged, waiting for a
 * coordinator (issue 12.2): confirmed ones are applied from the second day after the request,
 * rejected ones never. The queue names the staff member who asked, never the caller.
 */
export function WithdrawalsScreen() {
  const { t, dateTime, label } = useI18n();
  const me = useMe();
  // A failed refresh keeps the list already shown (useResource keeps the last answer).
  const queue = useResource<PendingWithdrawal[]>('/api/withdrawals');
  const list = queue.data ? newestFirst(queue.data) : undefined;
  const [done, setDone] = useState<string | null>(null);
  const [asked, setAsked] = useState<{ withdrawal: PendingWithdrawal; decision: Decision } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const doneRef = useRef<HTMLDivElement>(null);
  const ownNoteId = useId();

  // The row whose button opened the dialog may be gone (rejected): the outcome takes focus.
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  const scopesText = (w: PendingWithdrawal) =>
    w.scopes.map((scope) => label('consentScopes', scope)).join(', ');

  const decide = async () => {
    if (!asked) return;
    const { withdrawal, decision } = asked;
    setBusy(true);
    setActionError(null);
    try {
      await api.post(`/api/withdrawals/${withdrawal.id}/${decision}`);
      setAsked(null);
      setDone(
        t(decision === 'confirm' ? 'withdrawals.doneConfirmed' : 'withdrawals.doneRejected', {
          username: withdrawal.requestedByUsername,
          date: dateTime(withdrawal.notBefore),
        }),
      );
      await queue.reload();
    } catch (e) {
      // The server says 404 for one decided meanwhile, and for one's own request.
      setActionError(
        e instanceof ApiError && e.status === 404 ? t('withdrawals.gone') : errorMessage(t, e),
      );
      await queue.reload();
    } finally {
      setBusy(false);
    }
  };

  const open = (withdrawal: PendingWithdrawal, decision: Decision) => {
    setDone(null);
    setActionError(null);
    setAsked({ withdrawal, decision });
  };

  return (
    <section className="withdrawals">
      <h1 tabIndex={-1}>{t('withdrawals.title')}</h1>
      <p>{t('withdrawals.intro')}</p>
      <div ref={doneRef} tabIndex={-1}>
        {done ? <Notice tone="success">{done}</Notice> : null}
      </div>
      <DataTable
        items={list}
        error={queue.error}
        empty={t('withdrawals.empty')}
        caption={t('withdrawals.caption')}
        captionHidden
        columns={[
          t('withdrawals.colRequested'),
          t('withdrawals.colAskedBy'),
          t('withdrawals.colScopes'),
          t('withdrawals.colStatus'),
          t('withdrawals.colNotBefore'),
          t('withdrawals.colActions'),
        ]}
        row={(w) => {
          const state = withdrawalDecision(w, me.id);
          const which = `${w.requestedByUsername}, ${dateTime(w.requestedAt)}`;
          return (
            <tr key={w.id} data-withdrawal={w.id} data-status={w.status}>
              <th scope="row">{dateTime(w.requestedAt)}</th>
              <td>{w.requestedByUsername}</td>
              <td>{scopesText(w)}</td>
              <td>
                {t(
                  w.status === 'confirmed'
                    ? 'withdrawals.statusConfirmed'
                    : 'withdrawals.statusPending',
                )}
              </td>
              <td>
                {dateTime(w.notBefore)}
                {w.status === 'pending' ? (
                  <span className="muted"> ({t('withdrawals.ifConfirmed')})</span>
                ) : null}
              </td>
              <td>
                {state === 'confirmed' ? (
                  <span className="muted">{t('withdrawals.nothingToDecide')}</span>
                ) : (
                  <>
                    <div className="table__actions">
                      <button
                        type="button"
                        className="button button--small"
                        disabled={busy || state === 'own'}
                        aria-label={`${t('withdrawals.confirm')}: ${which}`}
                        aria-describedby={state === 'own' ? `${ownNoteId}-${w.id}` : undefined}
                        onClick={() => open(w, 'confirm')}
                      >
                        {t('withdrawals.confirm')}
                      </button>
                      <button
                        type="button"
                        className="button button--small button--secondary"
                        disabled={busy || state === 'own'}
                        aria-label={`${t('withdrawals.reject')}: ${which}`}
                        aria-describedby={state === 'own' ? `${ownNoteId}-${w.id}` : undefined}
                        onClick={() => open(w, 'reject')}
                      >
                        {t('withdrawals.reject')}
                      </button>
                    </div>
                    {state === 'own' ? (
                      <p className="muted" id={`${ownNoteId}-${w.id}`}>
                        {t('withdrawals.own')}
                      </p>
                    ) : null}
                  </>
                )}
              </td>
            </tr>
          );
        }}
      />

      {asked ? (
        <ConfirmDialog
          title={t(
            asked.decision === 'confirm' ? 'withdrawals.confirmTitle' : 'withdrawals.rejectTitle',
          )}
          message={t(
            asked.decision === 'confirm' ? 'withdrawals.confirmText' : 'withdrawals.rejectText',
            {
              username: asked.withdrawal.requestedByUsername,
              scopes: scopesText(asked.withdrawal),
              date: dateTime(asked.withdrawal.notBefore),
            },
          )}
          confirmLabel={t(
            asked.decision === 'confirm' ? 'withdrawals.confirm' : 'withdrawals.reject',
          )}
          cancelLabel={t('common.cancel')}
          danger={asked.decision === 'confirm'}
          busy={busy}
          error={actionError}
          onConfirm={() => void decide()}
          onCancel={() => {
            setAsked(null);
            setActionError(null);
          }}
        />
      ) : null}
    </section>
  );
}
