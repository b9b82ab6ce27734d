import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import { errorMessage } from '../api/error-message';
import type { DuressErrorCode, DuressPasswordRequest } from '../api/types';
import { passwordFieldsOf } from '../components/PasswordField';
import { Dialog } from '../components/Dialog';
import { ErrorSummary, type SummaryItem } from '../components/ErrorSummary';
import { Notice } from '../components/Notice';
import { useI18n, type MessageKey } from '../i18n/i18n';
import { useMe } from '../session/session';

/** The server's bounds (DuressPasswordRequest); it stays the authority. */
const DURESS_MIN = 12;
const DURESS_MAX = 256;

const FIELD = {
  current: 'duress-current-password',
  duress: 'duress-password',
  repeat: 'duress-password-repeat',
};

const SERVER_ERRORS: Record<DuressErrorCode, { target: string | null; message: MessageKey }> = {
  current_password_wrong: { target: FIELD.current, message: 'duress.error.currentWrong' },
  duress_same_as_password: { target: FIELD.duress, message: 'duress.error.same' },
  duress_not_allowed: { target: null, message: 'duress.error.notAllowed' },
};

const isDuressError = (code: string): code is DuressErrorCode => code in SERVER_ERRORS;

/**
 * For coordinators and admins, who may lock down: their name in the header opens this, where
 * they set or remove the password that signs in and silently locks Mayak down. It takes the
 * place of the plain name, so the header grows no wider.
 */
export function DuressPasswordControl() {
  const { t } = useI18n();
  const me = useMe();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className="topbar__user topbar__user--button"
        aria-haspopup="dialog"
        aria-label={t('duress.open', { username: me.username })}
        title={t('duress.open', { username: me.username })}
        onClick={() => setOpen(true)}
      >
        {me.username}
      </button>
      {open ? <DuressPasswordDialog onClose={() => setOpen(false)} /> : null}
    </>
  );
}

/**
 * The passwords live only in this component's state while it is open: cleared after every
 * answer from the server, gone when it closes, never written anywhere.
 */
function DuressPasswordDialog({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [duress, setDuress] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [done, setDone] = useState<'saved' | 'removed' | null>(null);
  const [busy, setBusy] = useState(false);
  const fieldError = (id: string) => problems.find((p) => p.target === id)?.message;

  /** What is wrong before asking the server: for removing, only the current password counts. */
  const check = (removing: boolean): SummaryItem[] => {
    const found: SummaryItem[] = [];
    if (!current) found.push({ target: FIELD.current, message: t('duress.error.currentRequired') });
    if (removing) return found;
    if (duress.length < DURESS_MIN)
      found.push({ target: FIELD.duress, message: t('duress.error.tooShort') });
    else if (duress.length > DURESS_MAX)
      found.push({ target: FIELD.duress, message: t('duress.error.tooLong') });
    else if (current && duress === current)
      found.push({ target: FIELD.duress, message: t('duress.error.same') });
    if (repeat !== duress && !found.some((p) => p.target === FIELD.duress))
      found.push({ target: FIELD.repeat, message: t('duress.error.mismatch') });
    return found;
  };

  const send = async (removing: boolean) => {
    const found = check(removing);
    setProblems(found);
    setGeneral(null);
    setDone(null);
    if (found.length > 0) return;
    setBusy(true);
    const body: DuressPasswordRequest = {
      password: current,
      duressPassword: removing ? null : duress,
    };
    try {
      await api.put<void>('/api/auth/duress', body);
      setDone(removing ? 'removed' : 'saved');
    } catch (error) {
      if (error instanceof ApiError && isDuressError(error.code)) {
        const { target, message } = SERVER_ERRORS[error.code];
        if (target) setProblems([{ target, message: t(message) }]);
        else setGeneral(t(message));
      } else if (error instanceof ApiError && error.code === 'validation_failed') {
        const bad = Object.keys(error.fields);
        setProblems(
          bad.includes('duressPassword')
            ? [{ target: FIELD.duress, message: t('duress.error.tooShort') }]
            : bad.includes('password')
              ? [{ target: FIELD.current, message: t('duress.error.currentRequired') }]
              : [],
        );
        if (!bad.includes('duressPassword') && !bad.includes('password'))
          setGeneral(errorMessage(t, error));
      } else setGeneral(errorMessage(t, error));
    } finally {
      setCurrent('');
      setDuress('');
      setRepeat('');
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void send(false);
  };

  const password = passwordFieldsOf(fieldError, FIELD.current);

  return (
    <Dialog title={t('duress.title')} onClose={onClose}>
      <form className="duress" onSubmit={submit} noValidate>
        <div className="dialog__explanation">
          <p>{t('duress.text')}</p>
        </div>
        <ErrorSummary items={problems} general={general} />
        {done ? (
          <Notice tone="success">{t(done === 'saved' ? 'duress.saved' : 'duress.removed')}</Notice>
        ) : null}
        {password(FIELD.current, 'duress.current', current, setCurrent, 'current-password')}
        {password(FIELD.duress, 'duress.new', duress, setDuress, 'new-password', 'duress.newHint')}
        {password(FIELD.repeat, 'duress.repeat', repeat, setRepeat, 'new-password')}
        <div className="dialog__actions duress__actions">
          <button
            type="button"
            className="button button--secondary duress__remove"
            disabled={busy}
            onClick={() => void send(true)}
          >
            {t('duress.remove')}
          </button>
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t('common.close')}
          </button>
          <button type="submit" className="button" disabled={busy}>
            {t('duress.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
