import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { WithdrawalReceipt } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorSummary } from '../../components/ErrorSummary';
import { CONSENT_SCOPES, type ConsentScope } from '../../i18n/consent-script';
import { useI18n, type I18n } from '../../i18n/i18n';
import {
  isServiceScope,
  SCOPE_COVERS,
  SCOPE_EFFECT,
  type WithdrawalPlan,
} from './consent-withdrawal';

interface Props {
  plan: WithdrawalPlan;
  onDone: (receipt: WithdrawalReceipt) => void;
  onCancel: () => void;
}

/** The server's refusals, said for this action: a 404 is how it says "not yours to withdraw". */
function withdrawalError(t: I18n['t'], error: unknown): string {
  if (error instanceof ApiError && error.status === 404) return t('withdraw.error.notFound');
  if (error instanceof ApiError && error.status === 400) return t('withdraw.error.validation');
  return errorMessage(t, error);
}

/**
 * A caller takes back consent on a later call (issue 13.3): the volunteer ticks what they
 * withdraw, each scope said with what it covers and what goes, then checks a second step
 * that says what is destroyed at once (their own contacts with the caller in the last 24 h)
 * and what waits for a coordinator and 24 h (everything else, issue 12.2). Nothing is ticked
 * by default, and nothing is sent before the second step.
 */
export function WithdrawConsentDialog({ plan, onDone, onCancel }: Props) {
  const { t, label, time } = useI18n();
  const id = useId();
  const [step, setStep] = useState<'choose' | 'check'>('choose');
  const [chosen, setChosen] = useState<ConsentScope[]>([]);
  const [noneChosen, setNoneChosen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const checkHeading = useRef<HTMLHeadingElement>(null);
  const scopeList = useRef<HTMLFieldSetElement>(null);
  const cameBack = useRef(false);
  const scopeId = (scope: ConsentScope) => `${id}-${scope.replace(':', '-')}`;

  // The second step's heading takes focus: it is read first, and a stray Enter confirms
  // nothing. Back on the first step, focus returns to the ticked boxes.
  useEffect(() => {
    if (step === 'check') checkHeading.current?.focus();
    else if (cameBack.current) {
      cameBack.current = false;
      const boxes = scopeList.current;
      (
        boxes?.querySelector<HTMLElement>('input:checked') ?? boxes?.querySelector('input')
      )?.focus();
    }
  }, [step]);

  const toggle = (scope: ConsentScope, on: boolean) => {
    const next = on ? [...chosen, scope] : chosen.filter((s) => s !== scope);
    setChosen(CONSENT_SCOPES.filter((s) => next.includes(s)));
    if (next.length > 0) setNoneChosen(false);
  };

  const withdraw = async () => {
    setBusy(true);
    setError(null);
    try {
      // The caller's id is a random one; the scopes go in the body.
      const receipt = await api.post<WithdrawalReceipt>(
        `/api/callers/${plan.callerId}/consent/withdraw`,
        { scopes: chosen },
      );
      onDone(receipt);
    } catch (e) {
      setError(withdrawalError(t, e));
      setBusy(false);
    }
  };

  // The first step's form: Next, or Enter in it. The second step sends only from its button.
  const next = (event: FormEvent) => {
    event.preventDefault();
    if (step !== 'choose') return;
    if (chosen.length === 0) {
      setNoneChosen(true);
      return;
    }
    setStep('check');
  };

  const scopesText = chosen.map((scope) => label('consentScopes', scope)).join(', ');
  const cancelButton = (
    <button type="button" className="button button--secondary" disabled={busy} onClick={onCancel}>
      {t('common.cancel')}
    </button>
  );

  return (
    <Dialog
      title={t('withdraw.title')}
      onClose={() => {
        // Under way, the answer is awaited: it says what was destroyed.
        if (!busy) onCancel();
      }}
    >
      <form className="withdraw" onSubmit={next} noValidate>
        {step === 'choose' ? (
          <>
            <ErrorSummary
              items={
                noneChosen
                  ? [{ target: scopeId('service:legal'), message: t('withdraw.error.none') }]
                  : []
              }
            />
            <fieldset className="withdraw__scopes" ref={scopeList}>
              <legend className="withdraw__step">{t('withdraw.stepChoose')}</legend>
              <p className="field__hint">{t('withdraw.chooseHint')}</p>
              <ul className="consent__lines">
                {CONSENT_SCOPES.map((scope) => (
                  <li key={scope} className="consent__line">
                    <label className="check">
                      <input
                        id={scopeId(scope)}
                        type="checkbox"
                        checked={chosen.includes(scope)}
                        aria-invalid={noneChosen || undefined}
                        onChange={(event) => toggle(scope, event.target.checked)}
                      />
                      <span>
                        <strong>{label('consentScopes', scope)}.</strong> {t(SCOPE_COVERS[scope])}
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
              <p className="field__hint">{t('withdraw.summaryNote')}</p>
            </fieldset>
            <div className="dialog__actions">
              {cancelButton}
              <button type="submit" className="button">
                {t('withdraw.next')}
              </button>
            </div>
          </>
        ) : (
          <>
            <h3 className="withdraw__step" tabIndex={-1} ref={checkHeading}>
              {t('withdraw.stepCheck')}
            </h3>
            <p>
              <strong>{t('withdraw.checkScopes', { scopes: scopesText })}</strong>
            </p>
            <p>
              {t('withdraw.checkNow', {
                count: plan.mine.length,
                times: plan.mine.map((c) => time(c.startedAt)).join(', '),
              })}
            </p>
            <ul className="withdraw__effects">
              {chosen.map((scope) => (
                <li key={scope}>{t(SCOPE_EFFECT[scope])}</li>
              ))}
            </ul>
            {chosen.some(isServiceScope) ? <p>{t('withdraw.summaryNote')}</p> : null}
            {plan.others === 0 ? (
              <p>
                <strong>{t('withdraw.checkNoOthers')}</strong>
              </p>
            ) : (
              <>
                <p>{t('withdraw.checkLater')}</p>
                {plan.others !== undefined ? (
                  <p>
                    <strong>{t('withdraw.checkOthers', { count: plan.others })}</strong>
                  </p>
                ) : null}
              </>
            )}
            <p className="field__hint">{t('withdraw.checkStays')}</p>
            <p className="notice notice--warning">{t('withdraw.tellCaller')}</p>
            {error ? (
              <p className="notice notice--error" role="alert">
                {error}
              </p>
            ) : null}
            <div className="dialog__actions withdraw__actions">
              <button
                type="button"
                className="button button--secondary"
                disabled={busy}
                onClick={() => {
                  setError(null);
                  cameBack.current = true;
                  setStep('choose');
                }}
              >
                {t('withdraw.back')}
              </button>
              {cancelButton}
              <button
                type="button"
                className="button button--danger"
                disabled={busy}
                onClick={(event) => {
                  // Next stood where this button is: the second click of a double click on it
                  // (a click count of 2) must not destroy anything unread.
                  if (event.detail > 1 || busy) return;
                  void withdraw();
                }}
              >
                {busy ? t('withdraw.submitting') : t('withdraw.submit')}
              </button>
            </div>
          </>
        )}
      </form>
    </Dialog>
  );
}
