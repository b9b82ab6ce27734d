import { useId, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useI18n } from '../i18n/i18n';
import { Dialog } from './Dialog';

/** The server's bounds for a written reason (escalation, break-glass). */
export const REASON_MIN = 10;
export const REASON_MAX = 2000;

interface Props {
  title: string;
  /** What happens, said before the person commits to it. */
  explanation: ReactNode;
  label: string;
  confirmLabel: string;
  danger?: boolean;
  busy: boolean;
  error: string | null;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}

/**
 * An action that needs a written reason: the reason field takes focus, Ctrl+Enter confirms,
 * and too short a reason is explained rather than sent.
 */
export function ReasonDialog(props: Props) {
  const { t } = useI18n();
  const id = useId();
  const [reason, setReason] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const trimmed = reason.trim();

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (trimmed.length < REASON_MIN) {
      setTooShort(true);
      document.getElementById(id)?.focus();
      return;
    }
    props.onConfirm(trimmed);
  };

  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  return (
    <Dialog title={props.title} onClose={props.onCancel}>
      <form onSubmit={submit} noValidate>
        <div className="dialog__explanation">{props.explanation}</div>
        <div className={tooShort ? 'field field--error' : 'field'}>
          <label htmlFor={id} className="field__label">
            {props.label}
          </label>
          {tooShort ? (
            <p id={errorId} className="field__error">
              {t('reason.tooShort', { count: REASON_MIN })}
            </p>
          ) : null}
          <textarea
            id={id}
            className="input"
            rows={4}
            maxLength={REASON_MAX}
            required
            autoFocus
            aria-invalid={tooShort || undefined}
            aria-describedby={tooShort ? `${errorId} ${hintId}` : hintId}
            value={reason}
            onChange={(event) => {
              setReason(event.target.value);
              if (event.target.value.trim().length >= REASON_MIN) setTooShort(false);
            }}
            onKeyDown={(event) => {
              if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') submit();
            }}
          />
          <p id={hintId} className="field__hint">
            {t('reason.hint', { count: REASON_MIN })}
          </p>
        </div>
        {props.error ? (
          <p className="notice notice--error" role="alert">
            {props.error}
          </p>
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={props.onCancel}>
            {t('common.cancel')}
          </button>
          <button
            type="submit"
            className={props.danger ? 'button button--danger' : 'button'}
            disabled={props.busy}
          >
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
