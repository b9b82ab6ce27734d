import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { ContactCase, MyContact, WithdrawalReceipt } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { ReasonDialog } from '../../components/ReasonDialog';
import { useI18n } from '../../i18n/i18n';
import { statusLabel } from '../cases/case-words';
import { ReferredTo } from '../referrals/ReferredTo';
import { useReferralEntries } from '../referrals/referral-words';
import { withdrawalPlan, type JustSaved, type WithdrawalPlan } from './consent-withdrawal';
import { escalatable } from './escalation';
import { WithdrawalReceiptNotice } from './WithdrawalReceiptNotice';
import { WithdrawConsentDialog } from './WithdrawConsentDialog';

type Load =
  | { status: 'loading' }
  | { status: 'ready'; contacts: MyContact[] }
  | { status: 'failed'; error: unknown };

type Flash = { tone: 'success' | 'error'; text: string };

/**
 * What this volunteer logged in the last 24 hours, newest first; the server hides older ones.
 * From here a contact whose caller turns out to be in danger is escalated to an emergency,
 * and a caller who takes back their consent has it withdrawn (usually on the contact just
 * logged, the caller having called again to say so).
 */
export function MyContactsToday({
  refreshKey,
  justSaved,
}: {
  refreshKey: number;
  /** The save's answer for the contact logged last, when there is one: see withdrawalPlan. */
  justSaved: JustSaved | null;
}) {
  const { t, label, time } = useI18n();
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [manualRefresh, setManualRefresh] = useState(0);
  const [escalating, setEscalating] = useState<{ contact: MyContact; from: ContactCase } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const [flash, setFlash] = useState<Flash | null>(null);
  const [withdrawing, setWithdrawing] = useState<WithdrawalPlan | null>(null);
  const [receipt, setReceipt] = useState<WithdrawalReceipt | null>(null);
  const receiptRef = useRef<HTMLDivElement>(null);
  const referrals = useReferralEntries(
    load.status === 'ready' ? load.contacts.flatMap((c) => c.referralIds) : [],
  );

  // The receipt takes focus once the dialog has closed (and handed focus back to its opener).
  useEffect(() => {
    if (receipt) receiptRef.current?.focus();
  }, [receipt]);

  const escalate = async (from: ContactCase, reason: string) => {
    setBusy(true);
    setDialogError(null);
    try {
      await api.post(`/api/cases/${from.id}/escalate`, { reason });
      setEscalating(null);
      setFlash({ tone: 'success', text: t('mine.escalated') });
      setManualRefresh((n) => n + 1);
    } catch (error) {
      setDialogError(errorMessage(t, error));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const controller = new AbortController();
    api
      .get<MyContact[]>('/api/contacts/mine', { signal: controller.signal })
      .then((contacts) =>
        setLoad({
          status: 'ready',
          contacts: [...contacts].sort((a, b) => b.startedAt.localeCompare(a.startedAt)),
        }),
      )
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setLoad({ status: 'failed', error });
      });
    return () => controller.abort();
  }, [refreshKey, manualRefresh]);

  return (
    <section className="mine" aria-labelledby="mine-title">
      <div className="section-header">
        <h2 id="mine-title">{t('mine.title')}</h2>
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => setManualRefresh((n) => n + 1)}
        >
          {t('common.refresh')}
        </button>
      </div>
      <p className="field__hint">{t('mine.subtitle')}</p>
      {flash ? <Notice tone={flash.tone}>{flash.text}</Notice> : null}
      <div ref={receiptRef} tabIndex={-1}>
        {receipt ? <WithdrawalReceiptNotice receipt={receipt} /> : null}
      </div>
      <DataTable
        items={load.status === 'ready' ? load.contacts : undefined}
        error={load.status === 'failed' ? load.error : undefined}
        failedText="mine.loadFailed"
        empty={t('mine.empty')}
        columns={[
          t('mine.time'),
          t('mine.channel'),
          t('mine.region'),
          t('mine.topics'),
          t('mine.services'),
          t('mine.outcome'),
          t('mine.summary'),
          <span className="visually-hidden">{t('cases.actions')}</span>,
        ]}
        row={(contact, _index, contacts) => {
          const from = escalatable(contact);
          const callerId = contact.callerId;
          const emergency = contact.cases.find(
            (c) => c.service === 'emergency' && c.status !== 'closed',
          );
          return (
            <tr key={contact.id}>
              <td>
                {time(contact.startedAt)}
                {contact.immediateRisk ? (
                  <span className="badge badge--danger">{t('mine.risk')}</span>
                ) : null}
              </td>
              <td>{label('channels', contact.channel)}</td>
              <td>{label('regions', contact.region)}</td>
              <td>{contact.topics.map((code) => label('topics', code)).join(', ')}</td>
              <td>
                <ul className="plain-list">
                  {contact.cases.map((c) => (
                    <li key={c.id}>
                      {label('services', c.service)}{' '}
                      <span className="muted">({statusLabel(t, c.status, c.service)})</span>
                    </li>
                  ))}
                </ul>
              </td>
              <td>
                {label('contactOutcomes', contact.outcome)}
                {contact.referralIds.length > 0 ? (
                  <>
                    <span className="visually-hidden"> {t('mine.referrals')}</span>
                    <ReferredTo ids={contact.referralIds} entries={referrals.entries} />
                  </>
                ) : null}
              </td>
              <td className="table__summary">
                {contact.summary ??
                  (contact.erased.includes('summary') ? (
                    <span className="muted">{t('mine.summaryErased')}</span>
                  ) : null)}
              </td>
              <td>
                <div className="table__actions">
                  {emergency ? (
                    <span className="badge badge--danger">{t('mine.emergencyOpen')}</span>
                  ) : from ? (
                    <button
                      type="button"
                      className="button button--danger button--small"
                      onClick={() => {
                        setDialogError(null);
                        setFlash(null);
                        setEscalating({ contact, from });
                      }}
                    >
                      {t('mine.escalate')}
                    </button>
                  ) : null}
                  {callerId ? (
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      aria-label={t('withdraw.openLabel', { time: time(contact.startedAt) })}
                      onClick={() => {
                        setFlash(null);
                        setReceipt(null);
                        setWithdrawing(withdrawalPlan(contacts, callerId, justSaved));
                      }}
                    >
                      {t('withdraw.open')}
                    </button>
                  ) : null}
                </div>
              </td>
            </tr>
          );
        }}
      />
      {load.status === 'ready' &&
      load.contacts.some(
        (c) =>
          !escalatable(c) &&
          !c.cases.some((x) => x.service === 'emergency' && x.status !== 'closed'),
      ) ? (
        <p className="field__hint">{t('mine.escalateHint')}</p>
      ) : null}
      {escalating ? (
        <ReasonDialog
          title={t('mine.escalateTitle')}
          explanation={
            <p>
              {t('mine.escalateText', {
                time: time(escalating.contact.startedAt),
                service: label('services', escalating.from.service),
              })}
            </p>
          }
          label={t('case.escalateReason')}
          confirmLabel={t('case.escalate')}
          danger
          busy={busy}
          error={dialogError}
          onCancel={() => setEscalating(null)}
          onConfirm={(reason) => void escalate(escalating.from, reason)}
        />
      ) : null}
      {withdrawing ? (
        <WithdrawConsentDialog
          plan={withdrawing}
          onCancel={() => setWithdrawing(null)}
          onDone={(done) => {
            setWithdrawing(null);
            setReceipt(done);
            // Summaries destroyed and cases closed show in the list at once.
            setManualRefresh((n) => n + 1);
          }}
        />
      ) : null}
    </section>
  );
}
