import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { CodeEnrolResponse } from '../../api/types';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { Field } from '../../components/Field';
import { GateScreen } from '../../components/GateScreen';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { TotpCodeField } from './TotpCodeField';
import { TotpKey } from './TotpKey';
import { useSession } from '../../session/session';

const FIELD = {
  code: 'enrol-code',
  password: 'enrol-password',
  repeat: 'enrol-repeat',
  totp: 'enrol-totp',
};

/**
 * /enrol, signed out: the owner of an account an admin made spends its one-time code on a
 * password of their own, then sets up the second factor and signs in. The code is typed into
 * a field, or taken from the address's fragment (`/enrol#CODE`), which browsers never send
 * to a server, and then wiped from the address bar and history.
 */
export function EnrolWithCodeScreen() {
  const { t } = useI18n();
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [code, setCode] = useState(() => decodeURIComponent(window.location.hash.slice(1)));
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [totp, setTotp] = useState('');
  const [enrolled, setEnrolled] = useState<CodeEnrolResponse | null>(null);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const fieldError = (target: string) => problems.find((p) => p.target === target)?.message;

  // The code is in the field now: out of the address bar and the history.
  useEffect(() => {
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  }, []);

  const submitCode = async (event: FormEvent) => {
    event.preventDefault();
    const found: SummaryItem[] = [];
    if (!code.trim()) found.push({ target: FIELD.code, message: t('error.required') });
    if (password.length < 12 || password.length > 256)
      found.push({ target: FIELD.password, message: t('users.errorPassword') });
    else if (password !== repeat)
      found.push({ target: FIELD.repeat, message: t('code.errorRepeat') });
    setProblems(found);
    setGeneral(null);
    if (found.length > 0) return;
    setBusy(true);
    try {
      setEnrolled(
        await api.post<CodeEnrolResponse>('/api/auth/enrol', { code: code.trim(), password }),
      );
      setCode('');
    } catch (error) {
      if (error instanceof ApiError && error.code === 'enrolment_code_invalid')
        setProblems([{ target: FIELD.code, message: t('code.errorInvalid') }]);
      else if (error instanceof ApiError && error.status === 429)
        setGeneral(t('signIn.error.throttled'));
      else setGeneral(errorMessage(t, error));
    } finally {
      setBusy(false);
    }
  };

  const submitTotp = async (event: FormEvent) => {
    event.preventDefault();
    if (!enrolled) return;
    if (!/^\d{6}$/.test(totp)) {
      setProblems([{ target: FIELD.totp, message: t('signIn.error.codeFormat') }]);
      return;
    }
    setProblems([]);
    setGeneral(null);
    setBusy(true);
    try {
      // Signed in, the shell opens the person's first screen from "/".
      await navigate('/', { replace: true });
      await signIn(enrolled.username, password, totp);
    } catch (error) {
      await navigate('/enrol', { replace: true });
      setTotp('');
      setGeneral(
        error instanceof ApiError && error.code === 'invalid_credentials'
          ? t('signIn.error.invalid')
          : errorMessage(t, error),
      );
      setBusy(false);
    }
  };

  const toSignIn = (
    <p>
      <a href="/">{t('code.toSignIn')}</a>
    </p>
  );

  return (
    <GateScreen title="code.title" heading={enrolled ? t('enrol.title') : undefined}>
      <ErrorSummary items={problems} general={general} />
      {enrolled === null ? (
        <form onSubmit={(e) => void submitCode(e)} noValidate>
          <p>{t('code.intro')}</p>
          <Field
            id={FIELD.code}
            label={t('code.code')}
            hint={t('code.codeHint')}
            error={fieldError(FIELD.code)}
          >
            {(control) => (
              <input
                {...control}
                className="input"
                name="enrolment-code"
                autoComplete="off"
                autoCapitalize="characters"
                spellCheck={false}
                value={code}
                onChange={(event) => setCode(event.target.value)}
                autoFocus
              />
            )}
          </Field>
          <Field
            id={FIELD.password}
            label={t('code.password')}
            hint={t('code.passwordHint')}
            error={fieldError(FIELD.password)}
          >
            {(control) => (
              <input
                {...control}
                className="input"
                type="password"
                name="new-password"
                autoComplete="new-password"
                value={password}
                onChange={(event) => setPassword(event.target.value)}
              />
            )}
          </Field>
          <Field id={FIELD.repeat} label={t('code.repeat')} error={fieldError(FIELD.repeat)}>
            {(control) => (
              <input
                {...control}
                className="input"
                type="password"
                name="repeat-password"
                autoComplete="new-password"
                value={repeat}
                onChange={(event) => setRepeat(event.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="button button--wide" disabled={busy}>
            {t('code.submit')}
          </button>
          {toSignIn}
        </form>
      ) : (
        <form className="enrol" onSubmit={(e) => void submitTotp(e)} noValidate>
          <Notice tone="success">{t('code.username', { username: enrolled.username })}</Notice>
          <TotpKey otpauthUri={enrolled.otpauthUri} secret={enrolled.secret} />
          <TotpCodeField
            id={FIELD.totp}
            value={totp}
            onChange={setTotp}
            error={fieldError(FIELD.totp)}
            autoFocus
          />
          <button type="submit" className="button button--wide" disabled={busy}>
            {busy ? t('signIn.submitting') : t('signIn.submit')}
          </button>
        </form>
      )}
    </GateScreen>
  );
}
