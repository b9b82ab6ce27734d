import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { EnrolResponse } from '../../api/types';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { Field } from '../../components/Field';
import { GateScreen } from '../../components/GateScreen';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { PasskeyCeremonyError, passkeyErrorMessage } from '../../session/webauthn';
import { TotpCodeField } from './TotpCodeField';
import { TotpKey } from './TotpKey';
import { useSession, type SignedOutReason } from '../../session/session';

const FIELD = { username: 'sign-in-username', password: 'sign-in-password', code: 'sign-in-code' };

interface Props {
  reason?: SignedOutReason | undefined;
  username?: string | undefined;
  idleMinutes?: number | undefined;
}

/** Groups of four, as authenticator apps show keys, so it can be typed without losing place. */

export function SignInScreen({ reason, username: knownUsername, idleMinutes }: Props) {
  const { t } = useI18n();
  const { signIn, signInWithPasskey } = useSession();
  const [username, setUsername] = useState(knownUsername ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [enrolment, setEnrolment] = useState<'no' | 'needed' | EnrolResponse>('no');
  /** Which way of signing in is under way, if any. */
  const [busy, setBusy] = useState<false | 'code' | 'passkey'>(false);
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  /** The code was right, but this account signs in with its passkey (401 passkey_required). */
  const [passkeyRequired, setPasskeyRequired] = useState(false);
  const passkeyButton = useRef<HTMLButtonElement>(null);

  const fieldError = (target: string) => problems.find((p) => p.target === target)?.message;

  // Told to use the passkey, the person finds its button focused: Enter goes on from there.
  useEffect(() => {
    if (passkeyRequired && busy === false) passkeyButton.current?.focus();
  }, [passkeyRequired, busy]);

  const nameAndPassword = (): SummaryItem[] => {
    const found: SummaryItem[] = [];
    if (!username.trim()) found.push({ target: FIELD.username, message: t('error.required') });
    if (!password) found.push({ target: FIELD.password, message: t('error.required') });
    return found;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = nameAndPassword();
    if (!/^\d{6}$/.test(code.trim()))
      found.push({ target: FIELD.code, message: t('signIn.error.codeFormat') });
    setProblems(found);
    setGeneral(null);
    setPasskeyRequired(false);
    if (found.length > 0) return;
    setBusy('code');
    try {
      await signIn(username.trim(), password, code.trim());
    } catch (error) {
      setCode('');
      if (error instanceof ApiError && error.code === 'totp_enrolment_required') {
        setEnrolment('needed');
      } else if (error instanceof ApiError && error.code === 'passkey_required') {
        // Not an error of the person's: say how this account signs in, and offer the way.
        setPasskeyRequired(true);
      } else if (error instanceof ApiError && error.code === 'invalid_credentials') {
        setGeneral(t('signIn.error.invalid'));
      } else if (error instanceof ApiError && error.status === 429) {
        setGeneral(t('signIn.error.throttled'));
      } else setGeneral(errorMessage(t, error));
      setBusy(false);
    }
  };

  /** Name and password, then the browser asks for the passkey; no code needed. */
  const submitPasskey = async () => {
    const found = nameAndPassword();
    setProblems(found);
    setGeneral(null);
    if (found.length > 0) return;
    setBusy('passkey');
    try {
      await signInWithPasskey(username.trim(), password);
    } catch (error) {
      setPasskeyRequired(false);
      if (error instanceof ApiError && error.code === 'invalid_credentials') {
        setGeneral(t('signIn.error.invalidPasskey'));
      } else if (error instanceof ApiError && error.status === 429) {
        setGeneral(t('signIn.error.throttled'));
      } else if (error instanceof PasskeyCeremonyError && error.problem === 'cancelled') {
        setGeneral(t('signIn.error.passkeyCancelled'));
      } else setGeneral(passkeyErrorMessage(t, error));
      setBusy(false);
    }
  };

  const startEnrolment = async () => {
    setBusy('code');
    setGeneral(null);
    try {
      setEnrolment(
        await api.post<EnrolResponse>('/api/auth/totp/enrol', {
          username: username.trim(),
          password,
        }),
      );
    } catch (error) {
      setGeneral(
        error instanceof ApiError && error.code === 'invalid_credentials'
          ? t('signIn.error.invalid')
          : errorMessage(t, error),
      );
    } finally {
      setBusy(false);
    }
  };

  const reasonText =
    reason === 'expired'
      ? t('signIn.reason.expired')
      : reason === 'idle'
        ? t('signIn.reason.idle', { count: idleMinutes ?? 30 })
        : reason === 'locked'
          ? t('signIn.reason.locked')
          : reason === 'signedOut'
            ? t('signIn.reason.signedOut')
            : reason === 'sealed'
              ? t('signIn.reason.sealed')
              : reason === 'passkeyRegistered'
                ? t('signIn.reason.passkeyRegistered')
                : null;

  // Told (or just registered) that this account signs in with a passkey: that button leads.
  const passkeyFirst = passkeyRequired || reason === 'passkeyRegistered';

  const codeField = (
    <TotpCodeField
      id={FIELD.code}
      value={code}
      onChange={setCode}
      error={fieldError(FIELD.code)}
      autoFocus={typeof enrolment === 'object'}
    />
  );

  return (
    <GateScreen title="signIn.title" heading={enrolment === 'no' ? undefined : t('enrol.title')}>
      {reasonText && enrolment === 'no' ? (
        <Notice
          tone={
            reason === 'passkeyRegistered'
              ? 'success'
              : reason === 'signedOut' || reason === 'locked' || reason === 'sealed'
                ? 'info'
                : 'warning'
          }
        >
          {reasonText}
        </Notice>
      ) : null}
      <ErrorSummary items={problems} general={general} />
      {passkeyRequired && enrolment === 'no' ? (
        <Notice tone="warning">{t('signIn.passkeyRequired')}</Notice>
      ) : null}

      {enrolment === 'no' ? (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Field
            id={FIELD.username}
            label={t('signIn.username')}
            error={fieldError(FIELD.username)}
          >
            {(control) => (
              <input
                {...control}
                className="input"
                name="username"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                value={username}
                onChange={(event) => setUsername(event.target.value)}
                autoFocus={!knownUsername}
              />
            )}
          </Field>
          <Field
            id={FIELD.password}
            label={t('signIn.password')}
            error={fieldError(FIELD.password)}
          >
            {(control) => (
              <input
                {...control}
                className="input"
                type="password"
                name="password"
                autoComplete="current-password"
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                autoFocus={Boolean(knownUsername)}
              />
            )}
          </Field>
          {codeField}
          <button
            type="submit"
            className={
              passkeyFirst ? 'button button--secondary button--wide' : 'button button--wide'
            }
            disabled={busy !== false}
          >
            {busy === 'code' ? t('signIn.submitting') : t('signIn.submit')}
          </button>
          <div className="sign-in__passkey">
            <p className="sign-in__or" aria-hidden="true">
              {t('signIn.or')}
            </p>
            <button
              ref={passkeyButton}
              type="button"
              className={
                passkeyFirst ? 'button button--wide' : 'button button--secondary button--wide'
              }
              aria-describedby="sign-in-passkey-hint"
              disabled={busy !== false}
              onClick={() => void submitPasskey()}
            >
              {busy === 'passkey' ? t('signIn.passkeyWaiting') : t('signIn.passkey')}
            </button>
            <p id="sign-in-passkey-hint" className="field__hint">
              {t('signIn.passkeyHint')}
            </p>
          </div>
          <p>
            <a href="/enrol">{t('code.link')}</a>
          </p>
        </form>
      ) : enrolment === 'needed' ? (
        <div className="enrol">
          <p>{t('enrol.intro')}</p>
          <div className="enrol__actions">
            <button
              type="button"
              className="button button--secondary"
              onClick={() => setEnrolment('no')}
            >
              {t('enrol.back')}
            </button>
            <button
              type="button"
              className="button"
              disabled={busy !== false}
              autoFocus
              onClick={() => void startEnrolment()}
            >
              {t('enrol.start')}
            </button>
          </div>
        </div>
      ) : (
        <form className="enrol" onSubmit={(e) => void submit(e)} noValidate>
          <TotpKey otpauthUri={enrolment.otpauthUri} secret={enrolment.secret} />
          {codeField}
          <button type="submit" className="button button--wide" disabled={busy !== false}>
            {busy ? t('signIn.submitting') : t('signIn.submit')}
          </button>
        </form>
      )}
    </GateScreen>
  );
}
