import { useState } from 'react';
import { api, ApiError } from '../api/client';
import { errorMessage } from '../api/error-message';
import type { LockdownResponse } from '../api/types';
import { ConfirmDialog } from '../components/Dialog';
import { useI18n } from '../i18n/i18n';
import { useCustody } from './custody';

/**
 * The coordinators' and admins' emergency control: one confirmation (Cancel has focus, so a
 * stray Enter does not seal the system), then every process wipes its keys and every session
 * ends; this screen goes straight to the unseal screen.
 */
export function LockdownControl() {
  const { t } = useI18n();
  const { markSealed } = useCustody();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.post<LockdownResponse>('/api/lockdown');
      markSealed();
    } catch (failure) {
      // Already sealed (by someone else a moment ago) is what was wanted.
      if (failure instanceof ApiError && failure.code === 'sealed') return;
      setError(`${t('lockdown.failed')} ${errorMessage(t, failure)}`);
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className="button button--danger button--lockdown"
        title={t('lockdown.hint')}
        aria-haspopup="dialog"
        onClick={() => {
          setError(null);
          setOpen(true);
        }}
      >
        {t('lockdown.button')}
      </button>
      {open ? (
        <ConfirmDialog
          title={t('lockdown.title')}
          message={t('lockdown.text')}
          confirmLabel={t('lockdown.confirm')}
          cancelLabel={t('common.cancel')}
          danger
          busy={busy}
          error={error}
          onConfirm={() => void confirm()}
          onCancel={() => setOpen(false)}
        />
      ) : null}
    </>
  );
}
