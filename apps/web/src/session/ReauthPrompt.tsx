import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError, setReauthenticator } from '../api/client';
import type { Passkey } from '../api/types';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { useI18n } from '../i18n/i18n';
import { assertWithPasskey, passkeyErrorMessage } from './webauthn';
import { useMe } from './session';

/** The roles that sign in with a passkey (the server's default PASSKEY_REQUIRED_ROLES). */
const PASSKEY_ROLES = ['coordinator', 'admin'];

type Proof = 'passkey' | 'code';

/**
 * Role grants, new accounts, exports, break-glass and passkey changes need the password and a
 * second factor proved within the last few minutes (issue 12.4). When the server asks for
 * that, this dialog does, on whatever screen the person is; the API client then sends the
 * refused request once more. Whoever has a passkey proves it with the passkey (coordinators
 * and admins must: the server refuses them a code); the others with a code from the app.
 */
export function ReauthPrompt() {
  const { t } = useI18n();
  const me = useMe();
  const [open, setOpen] = useState(false);
  const [proof, setProof] = useState<Proof>('code');
  /** Whether the other way is offered: a code to whoever may use one, a passkey to its holders. */
  const [mayUseCode, setMayUseCode] = useState(true);
  const [hasPasskey, setHasPasskey] = useState(false);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const settle = useRef<((passed: boolean) => void) | null>(null);
  const meRef = useRef(me);
  useEffect(() => {
    meRef.current = me;
  });

  useEffect(
    () =>
      setReauthenticator(
        () =>
          new Promise<boolean>((resolve) => {
            settle.current = resolve;
            setPassword('');
            setCode('');
            setError(null);
            void proofFor(meRef.current).then((ways) => {
              setProof(ways.proof);
              setHasPasskey(ways.hasPasskey);
              setMayUseCode(ways.mayUseCode);
              setOpen(true);
            });
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
    if (proof === 'code' && !/^\d{6}$/.test(code.trim())) {
      setError(t('signIn.error.codeFormat'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (proof === 'code')
        await api.post('/api/auth/reauthenticate', { password, totp: code.trim() });
      else
        await api.post('/api/auth/reauthenticate', {
          password,
          passkey: await assertWithPasskey('/api/auth/reauthenticate/options'),
        });
      finish(true);
    } catch (failure) {
      setCode('');
      setError(
        failure instanceof ApiError && failure.code === 'reauthentication_failed'
          ? t(proof === 'code' ? 'reauth.failed' : 'reauth.failedPasskey')
          : passkeyErrorMessage(t, failure),
      );
    } finally {
      setBusy(false);
    }
  };

  const switchTo = (next: Proof) => {
    setProof(next);
    setCode('');
    setError(null);
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
        {proof === 'code' ? (
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
        ) : (
          <p className="field__hint">{t('reauth.passkeyHint')}</p>
        )}
        {proof === 'passkey' && mayUseCode ? (
          <p className="reauth__switch">
            <button type="button" className="link-button" onClick={() => switchTo('code')}>
              {t('reauth.useCode')}
            </button>
          </p>
        ) : proof === 'code' && hasPasskey ? (
          <p className="reauth__switch">
            <button type="button" className="link-button" onClick={() => switchTo('passkey')}>
              {t('reauth.usePasskey')}
            </button>
          </p>
        ) : null}
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
            {busy
              ? t(proof === 'code' ? 'reauth.submitting' : 'passkey.waiting')
              : t('reauth.submit')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * How this person proves it is them: with a passkey if they signed in with one or hold one,
 * else with a code. The list is asked for each time, as passkeys come and go on another screen.
 */
async function proofFor(me: {
  roles: readonly string[];
  secondFactor: 'totp' | 'passkey';
}): Promise<{ proof: Proof; hasPasskey: boolean; mayUseCode: boolean }> {
  const mayUseCode = !me.roles.some((role) => PASSKEY_ROLES.includes(role));
  const held =
    me.secondFactor === 'passkey' ||
    (await api
      .get<Passkey[]>('/api/auth/passkeys')
      .then((list) => list.length > 0)
      .catch(() => false));
  return { proof: held ? 'passkey' : 'code', hasPasskey: held, mayUseCode };
}
