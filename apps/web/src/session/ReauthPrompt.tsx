import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError, setReauthenticator } from '../api/client';
import { errorMessage } from '../api/error-message';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { useI18n } from '../i18n/i18n';

/**
 * Role grants, exports and break-glass need the password and a code proved within the last
 * few minutes (issue 12.4). When the server asks for that, this dialog does, on whatever
 * screen the person is; the API client then sends the refused request once more.
 */
export function ReauthPrompt() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const settle = useRef<((passed: boolean) => void) | null>(null);

  useEffect(
    () =>
      setReauthenticator(
        () =>
          new Promise<boolean>((resolve) => {
            settle.current = resolve;
            setPassword('');
            setCode('');
            setError(null);
            setOpen(true);
          }),
      ),
    [],
  );
  // Gone from the page (signed out, locked): whoever waits hears no.
  useEffect(() => () => settle.current?.(false), []);

  const finish = (passed: boolean) => {
    setOpen(false);
    setPassword('');
    setCode('');
    settle.current?.(passed);
    settle.current = null;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!/^\d{6}$/.test(code.trim())) {
      setError(t('signIn.error.codeFormat'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/auth/reauthenticate', { password, totp: code.trim() });
      finish(true);
    } catch (failure) {
      setCode('');
      setError(
        failure instanceof ApiError && failure.code === 'reauthentication_failed'
          ? t('reauth.failed')
          : errorMessage(t, failure),
      );
    } finally {
      setBusy(false);
    }
  };

  if (!open) return null;
  return (
    <Dialog title={t('reauth.title')} onClose={() => finish(false)}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <p className="dialog__explanation">{t('reauth.text')}</p>
        <Field label={t('signIn.password')}>
          {(control) => (
            <input
              {...control}
              className="input"
              type="password"
              name="reauth-password"
              autoComplete="current-password"
              autoFocus
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          )}
        </Field>
        <Field label={t('signIn.code')} hint={t('signIn.codeHint')}>
          {(control) => (
            <input
              {...control}
              className="input"
              name="reauth-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              value={code}
              onChange={(event) => setCode(event.target.value)}
            />
          )}
        </Field>
        {error ? (
          <p className="notice notice--error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={() => finish(false)}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button" disabled={busy || password === ''}>
            {busy ? t('reauth.submitting') : t('reauth.submit')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
