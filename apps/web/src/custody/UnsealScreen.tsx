import { useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import { errorMessage } from '../api/error-message';
import type { UnsealErrorCode, UnsealStatus } from '../api/types';
import { Field } from '../components/Field';
import { GateScreen } from '../components/GateScreen';
import { Notice } from '../components/Notice';
import { useI18n, type MessageKey } from '../i18n/i18n';
import { useCustody } from './custody';

const SHARE_FIELD = 'unseal-share';

const SHARE_ERRORS: Record<UnsealErrorCode, MessageKey> = {
  malformed_share: 'unseal.error.malformed',
  foreign_share: 'unseal.error.foreign',
  shares_do_not_match: 'unseal.error.mismatch',
  file_custody: 'unseal.file',
  custody_not_initialised: 'unseal.notInitialised',
};

const isUnsealError = (code: string): code is UnsealErrorCode => code in SHARE_ERRORS;

/**
 * Shown instead of everything else while Mayak is sealed; needs no sign-in (nobody can sign
 * in while sealed, and a share is its own credential). One share at a time, in a password
 * field that forgets it as soon as it is sent; the progress comes from the server, which
 * counts the shares entered at every terminal. Once unsealed, the app goes on to sign-in.
 */
export function UnsealScreen() {
  const { t } = useI18n();
  const { status, update } = useCustody();
  const [share, setShare] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [accepted, setAccepted] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const entered = share.trim();
    // Out of the page at once: the share is not kept in state while the server checks it.
    setShare('');
    setAccepted(false);
    if (!entered) {
      setError(t('unseal.error.empty'));
      input.current?.focus();
      return;
    }
    setError(null);
    setBusy(true);
    try {
      update(await api.post<UnsealStatus>('/api/unseal', { share: entered }));
      setAccepted(true);
    } catch (failure) {
      setError(
        failure instanceof ApiError && isUnsealError(failure.code)
          ? t(SHARE_ERRORS[failure.code])
          : failure instanceof ApiError && failure.status === 400
            ? t('unseal.error.malformed')
            : errorMessage(t, failure),
      );
    } finally {
      setBusy(false);
      input.current?.focus();
    }
  };

  const explanation =
    status === null ? null : status.custody === 'file' ? (
      <Notice tone="warning">{t('unseal.file')}</Notice>
    ) : !status.initialised ? (
      <Notice tone="warning">
        {t('unseal.notInitialised')}{' '}
        <code translate="no">npm run cli -- custody init --holders N --threshold K</code>
      </Notice>
    ) : null;
  const canUnseal = status === null || (status.custody === 'sealed' && status.initialised);

  return (
    <GateScreen title="unseal.title" wide>
      <p>{t('unseal.text')}</p>
      {explanation}
      {canUnseal ? (
        <>
          <p className="unseal__progress" role="status" aria-live="polite">
            {status && status.threshold > 0
              ? t('unseal.progress', { progress: status.progress, count: status.threshold })
              : t('app.loading')}
            {accepted && status?.sealed ? ` ${t('unseal.accepted')}` : ''}
          </p>
          <form onSubmit={(e) => void submit(e)} noValidate autoComplete="off">
            <Field
              id={SHARE_FIELD}
              label={t('unseal.share')}
              hint={t('unseal.shareHint')}
              error={error ?? undefined}
            >
              {(control) => (
                <input
                  {...control}
                  ref={input}
                  className="input input--share"
                  type="password"
                  autoComplete="off"
                  autoCapitalize="none"
                  autoCorrect="off"
                  spellCheck={false}
                  data-1p-ignore
                  data-lpignore="true"
                  value={share}
                  onChange={(event) => setShare(event.target.value)}
                  autoFocus
                />
              )}
            </Field>
            <button type="submit" className="button button--wide" disabled={busy}>
              {busy ? t('unseal.submitting') : t('unseal.submit')}
            </button>
          </form>
        </>
      ) : null}
    </GateScreen>
  );
}
