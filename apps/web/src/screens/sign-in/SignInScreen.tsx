import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { EnrolResponse } from '../../api/types';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { Field } from '../../components/Field';
import { GateScreen } from '../../components/GateScreen';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
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
  const { signIn } = useSession();
  const [username, setUsername] = useState(knownUsername ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [enrolment, setEnrolment] = useState<'no' | 'needed' | EnrolResponse>('no');
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);

  const fieldError = (target: string) => problems.find((p) => p.target === target)?.message;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: SummaryItem[] = [];
    if (!username.trim()) found.push({ target: FIELD.username, message: t('error.required') });
    if (!password) found.push({ target: FIELD.password, message: t('error.required') });
    if (!/^\d{6}$/.test(code.trim()))
      found.push({ target: FIELD.code, message: t('signIn.error.codeFormat') });
    setProblems(found);
    setGeneral(null);
    if (found.length > 0) return;
    setBusy(true);
    try {
      await signIn(username.trim(), password, code.trim());
    } catch (error) {
      setCode('');
      if (error instanceof ApiError && error.code === 'totp_enrolment_required') {
        setEnrolment('needed');
      } else if (error instanceof ApiError && error.code === 'invalid_credentials') {
        setGeneral(t('signIn.error.invalid'));
      } else if (error instanceof ApiError && error.status === 429) {
        setGeneral(t('signIn.error.throttled'));
      } else setGeneral(errorMessage(t, error));
      setBusy(false);
    }
  };

  const startEnrolment = async () => {
    setBusy(true);
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
              : null;

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
            reason === 'signedOut' || reason === 'locked' || reason === 'sealed'
              ? 'info'
              : 'warning'
          }
        >
          {reasonText}
        </Notice>
      ) : null}
      <ErrorSummary items={problems} general={general} />

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
          <button type="submit" className="button button--wide" disabled={busy}>
            {busy ? t('signIn.submitting') : t('signIn.submit')}
          </button>
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
              disabled={busy}
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
          <button type="submit" className="button button--wide" disabled={busy}>
            {busy ? t('signIn.submitting') : t('signIn.submit')}
          </button>
        </form>
      )}
    </GateScreen>
  );
}
