import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import { errorMessage } from '../api/error-message';
import { passwordFieldsOf } from '../components/PasswordField';
import { Dialog } from '../components/Dialog';
import { ErrorSummary, type SummaryItem } from '../components/ErrorSummary';
import { Notice } from '../components/Notice';
import { useI18n } from '../i18n/i18n';

/** The server's policy (ChangePasswordRequest, as for enrolment); it stays the authority. */
const PASSWORD_MIN = 12;
const PASSWORD_MAX = 256;

const FIELD = {
  current: 'password-current',
  next: 'password-new',
  repeat: 'password-repeat',
};

/**
 * Everyone: a header button that opens the dialog to change one's own password. The server
 * asks for a recent re-authentication first if the sign-in is older than a few minutes (the
 * API client shows that prompt and sends the change again), then ends every other session.
 */
export function ChangePasswordControl() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className="topbar__link topbar__link--button"
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        {t('password.open')}
      </button>
      {open ? <ChangePasswordDialog onClose={() => setOpen(false)} /> : null}
    </>
  );
}

/** The passwords live only in this component's state, cleared after every answer. */
function ChangePasswordDialog({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const fieldError = (id: string) => problems.find((p) => p.target === id)?.message;

  const check = (): SummaryItem[] => {
    const found: SummaryItem[] = [];
    if (!current) found.push({ target: FIELD.current, message: t('password.errorCurrent') });
    if (next.length < PASSWORD_MIN || next.length > PASSWORD_MAX)
      found.push({ target: FIELD.next, message: t('password.errorLength') });
    else if (current && next === current)
      found.push({ target: FIELD.next, message: t('password.errorSame') });
    if (repeat !== next && !found.some((p) => p.target === FIELD.next))
      found.push({ target: FIELD.repeat, message: t('password.errorRepeat') });
    return found;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = check();
    setProblems(found);
    setGeneral(null);
    setDone(false);
    if (found.length > 0) return;
    setBusy(true);
    try {
      await api.post<void>('/api/auth/password', { currentPassword: current, newPassword: next });
      setDone(true);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'current_password_wrong')
        setProblems([{ target: FIELD.current, message: t('password.errorCurrentWrong') }]);
      else if (error instanceof ApiError && error.code === 'password_unchanged')
        setProblems([{ target: FIELD.next, message: t('password.errorSame') }]);
      else if (error instanceof ApiError && 'newPassword' in error.fields)
        setProblems([{ target: FIELD.next, message: t('password.errorLength') }]);
      else setGeneral(errorMessage(t, error));
    } finally {
      setCurrent('');
      setNext('');
      setRepeat('');
      setBusy(false);
    }
  };

  const password = passwordFieldsOf(fieldError, FIELD.current);

  return (
    <Dialog title={t('password.title')} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <p className="dialog__explanation">{t('password.text')}</p>
        <ErrorSummary items={problems} general={general} />
        {done ? <Notice tone="success">{t('password.done')}</Notice> : null}
        {password(FIELD.current, 'password.current', current, setCurrent, 'current-password')}
        {password(FIELD.next, 'password.new', next, setNext, 'new-password', 'password.newHint')}
        {password(FIELD.repeat, 'password.repeat', repeat, setRepeat, 'new-password')}
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t('common.close')}
          </button>
          <button type="submit" className="button" disabled={busy}>
            {t('password.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
