import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { CaseDetail } from '../../api/types';
import { useVocabulary } from '../../api/vocabulary';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { ReasonDialog } from '../../components/ReasonDialog';
import { useI18n } from '../../i18n/i18n';
import { useMe } from '../../session/session';

type Pending = 'decline' | 'close' | 'escalate' | 'breakGlass' | null;

interface Props {
  detail: CaseDetail;
  /** The case is assigned to the reader. */
  mine: boolean;
  onDone: (message: string) => void;
  onDeclined: () => void;
  onBrokeGlass: (expiresAt: string) => void;
  onError: (message: string) => void;
}

function CloseDialog({
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  busy: boolean;
  error: string | null;
  onConfirm: (outcome: string) => void;
  onCancel: () => void;
}) {
  const { t, label } = useI18n();
  const vocabulary = useVocabulary();
  const outcomes = vocabulary.caseOutcomes.filter((code) => code !== 'withdrawn');
  const [outcome, setOutcome] = useState(outcomes[0] ?? 'resolved');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onConfirm(outcome);
  };
  return (
    <Dialog title={t('case.closeTitle')} onClose={onCancel}>
      <form onSubmit={submit}>
        <fieldset className="field checks">
          <legend className="field__label">{t('case.outcome')}</legend>
          {outcomes.map((code) => (
            <label key={code} className="check">
              <input
                type="radio"
                name="outcome"
                value={code}
                checked={outcome === code}
                onChange={() => setOutcome(code)}
              />
              {label('caseOutcomes', code)}
            </label>
          ))}
        </fieldset>
        <p className="field__hint">{t('case.closeHint')}</p>
        {error ? (
          <p className="notice notice--error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button" disabled={busy}>
            {t('case.close')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** What the reader can do with the case now, and nothing they cannot. */
export function CaseActions({ detail, mine, onDone, onDeclined, onBrokeGlass, onError }: Props) {
  const { t } = useI18n();
  const me = useMe();
  const [pending, setPending] = useState<Pending>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | null>(null);

  const routed = detail.service === 'legal' || detail.service === 'psych';
  const open = detail.status !== 'closed';
  const working = mine && (detail.status === 'assigned' || detail.status === 'in_progress');
  const canAccept = routed && mine && detail.status === 'assigned';
  const canAcknowledge =
    detail.service === 'emergency' &&
    detail.status === 'queued' &&
    !detail.acknowledgedAt &&
    (me.roles.includes('responder') || me.roles.includes('coordinator'));
  const canBreakGlass =
    detail.service === 'emergency' &&
    open &&
    detail.contact === undefined &&
    me.roles.includes('responder');

  const run = async (work: () => Promise<void>, inDialog: boolean) => {
    setBusy(true);
    setDialogError(null);
    try {
      await work();
      setPending(null);
    } catch (error) {
      const message =
        error instanceof ApiError && error.code === 'already_acknowledged'
          ? t('board.alreadyAcknowledged')
          : error instanceof ApiError && error.code === 'invalid_state'
            ? t('case.invalidState')
            : errorMessage(t, error);
      if (inDialog) setDialogError(message);
      else onError(message);
    } finally {
      setBusy(false);
    }
  };

  const post = (path: string, body?: unknown) => api.post(`/api/cases/${detail.id}/${path}`, body);

  if (!canAccept && !working && !canAcknowledge && !canBreakGlass) return null;

  const cancel = () => {
    setPending(null);
    setDialogError(null);
  };

  return (
    <div className="case__actions" role="group" aria-label={t('case.actions')}>
      {canAcknowledge ? (
        <button
          type="button"
          className="button button--primary"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await post('acknowledge');
              onDone(t('board.acknowledged'));
            }, false)
          }
        >
          {t('board.acknowledge')}
        </button>
      ) : null}
      {canAccept ? (
        <button
          type="button"
          className="button button--primary"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await post('accept');
              onDone(t('case.acceptedDone'));
            }, false)
          }
        >
          {t('case.accept')}
        </button>
      ) : null}
      {working ? (
        <button type="button" className="button" onClick={() => setPending('close')}>
          {t('case.closeEllipsis')}
        </button>
      ) : null}
      {working && routed ? (
        <button
          type="button"
          className="button button--danger"
          onClick={() => setPending('escalate')}
        >
          {t('case.escalateEllipsis')}
        </button>
      ) : null}
      {working && routed ? (
        <button
          type="button"
          className="button button--secondary"
          onClick={() => setPending('decline')}
        >
          {t('case.declineEllipsis')}
        </button>
      ) : null}
      {canBreakGlass ? (
        <button
          type="button"
          className="button button--danger"
          onClick={() => setPending('breakGlass')}
        >
          {t('board.breakGlassEllipsis')}
        </button>
      ) : null}

      {pending === 'decline' ? (
        <ConfirmDialog
          title={t('case.declineTitle')}
          message={t('case.declineText')}
          confirmLabel={t('case.decline')}
          cancelLabel={t('common.cancel')}
          busy={busy}
          error={dialogError}
          onCancel={cancel}
          onConfirm={() =>
            void run(async () => {
              await post('decline');
              onDeclined();
            }, true)
          }
        />
      ) : null}
      {pending === 'close' ? (
        <CloseDialog
          busy={busy}
          error={dialogError}
          onCancel={cancel}
          onConfirm={(outcome) =>
            void run(async () => {
              await post('close', { outcome });
              onDone(t('case.closedDone'));
            }, true)
          }
        />
      ) : null}
      {pending === 'escalate' ? (
        <ReasonDialog
          title={t('case.escalateTitle')}
          explanation={<p>{t('case.escalateText')}</p>}
          label={t('case.escalateReason')}
          confirmLabel={t('case.escalate')}
          danger
          busy={busy}
          error={dialogError}
          onCancel={cancel}
          onConfirm={(reason) =>
            void run(async () => {
              await post('escalate', { reason });
              onDone(t('case.escalatedDone'));
            }, true)
          }
        />
      ) : null}
      {pending === 'breakGlass' ? (
        <ReasonDialog
          title={t('board.breakGlassTitle')}
          explanation={<p>{t('board.breakGlassText')}</p>}
          label={t('board.breakGlassReason')}
          confirmLabel={t('board.breakGlass')}
          danger
          busy={busy}
          error={dialogError}
          onCancel={cancel}
          onConfirm={(reason) =>
            void run(async () => {
              const grant = await api.post<{ expiresAt: string }>(
                `/api/cases/${detail.id}/break-glass`,
                { reason },
              );
              onBrokeGlass(grant.expiresAt);
            }, true)
          }
        />
      ) : null}
    </div>
  );
}
