import { useState } from 'react';
import type { FormEvent } from 'react';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { GateScreen } from '../../components/GateScreen';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { PasskeyNameField, passkeyNameProblem } from './PasskeyNameField';
import { passkeyErrorMessage, registerPasskey } from '../../session/webauthn';

const NAME_FIELD = 'first-passkey-name';

/**
 * A coordinator or admin signed in with a code, without a passkey yet: the server answers
 * nothing but this (403 `passkey_registration_required` elsewhere), so nothing else is shown.
 * Once the passkey is registered the code-only session keeps its limits; it ends, and the
 * person signs in again with the passkey, their name already filled in.
 */
export function PasskeyRegistrationScreen() {
  const { t } = useI18n();
  const { signOut } = useSession();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = passkeyNameProblem(name);
    setProblems(problem ? [{ target: NAME_FIELD, message: t(problem) }] : []);
    setGeneral(null);
    if (problem) return;
    setBusy(true);
    try {
      await registerPasskey(name.trim());
      signOut('passkeyRegistered');
    } catch (error) {
      setGeneral(passkeyErrorMessage(t, error));
      setBusy(false);
    }
  };

  return (
    <GateScreen title="passkeyGate.title">
      <ErrorSummary items={problems} general={general} />
      <form onSubmit={(event) => void submit(event)} noValidate>
        <p>{t('passkeyGate.why')}</p>
        <p>{t('passkeyGate.what')}</p>
        <p>{t('passkeyGate.then')}</p>
        <PasskeyNameField
          id={NAME_FIELD}
          value={name}
          onChange={setName}
          error={problems.find((p) => p.target === NAME_FIELD)?.message}
          autoFocus
        />
        <button type="submit" className="button button--wide" disabled={busy}>
          {busy ? t('passkey.waiting') : t('passkeyGate.register')}
        </button>
        <p>
          <button type="button" className="link-button" onClick={() => signOut()}>
            {t('header.signOut')}
          </button>
        </p>
      </form>
    </GateScreen>
  );
}
