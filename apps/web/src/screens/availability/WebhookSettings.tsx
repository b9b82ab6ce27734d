import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import { ConfirmDialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';

const SECRET_MIN = 16;
const SECRET_MAX = 200;

/** 32 characters of URL-safe randomness: 192 bits, for the HMAC that signs each delivery. */
function generateSecret(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

type Result = { tone: 'success' | 'error'; text: string } | null;

/**
 * Where Mayak also posts this person's notifications (a bridge to a messenger or a pager),
 * signed with a shared secret. The server never shows the saved address or secret back, so
 * the form sets a new one or removes it.
 */
export function WebhookSettings({ pagedForEmergencies }: { pagedForEmergencies: boolean }) {
  const { t } = useI18n();
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [errors, setErrors] = useState<{ url?: string; secret?: string }>({});
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const found: { url?: string; secret?: string } = {};
    let parsed: URL | null;
    try {
      parsed = new URL(url.trim());
    } catch {
      parsed = null;
    }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
      found.url = t('webhook.urlError');
    if (secret.length < SECRET_MIN || secret.length > SECRET_MAX)
      found.secret = t('webhook.secretError', { min: SECRET_MIN, max: SECRET_MAX });
    setErrors(found);
    setResult(null);
    if (found.url || found.secret) {
      document.getElementById(found.url ? 'webhook-url' : 'webhook-secret')?.focus();
      return;
    }
    setBusy(true);
    try {
      await api.put('/api/staff/me/webhook', { url: url.trim(), secret });
      setResult({ tone: 'success', text: t('webhook.saved') });
      setSecret('');
    } catch (error) {
      if (error instanceof ApiError && error.code === 'bad_webhook_url')
        setErrors({ url: t('webhook.urlRefused') });
      else setResult({ tone: 'error', text: `${t('webhook.failed')} ${errorMessage(t, error)}` });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await api.delete('/api/staff/me/webhook');
      setResult({ tone: 'success', text: t('webhook.removed') });
      setConfirmRemove(false);
    } catch (error) {
      setResult({ tone: 'error', text: `${t('webhook.failed')} ${errorMessage(t, error)}` });
      setConfirmRemove(false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel webhook" onSubmit={(event) => void save(event)} noValidate>
      <h2>{t('webhook.title')}</h2>
      <p className="field__hint">
        {pagedForEmergencies ? t('webhook.introResponder') : t('webhook.intro')}{' '}
        {t('webhook.notShown')}
      </p>
      <Field
        id="webhook-url"
        label={t('webhook.url')}
        hint={t('webhook.urlHint')}
        error={errors.url}
      >
        {(control) => (
          <input
            {...control}
            className="input"
            type="url"
            autoComplete="off"
            spellCheck={false}
            value={url}
            onChange={(event) => setUrl(event.target.value)}
          />
        )}
      </Field>
      <Field
        id="webhook-secret"
        label={t('webhook.secret')}
        hint={t('webhook.secretHint', { min: SECRET_MIN })}
        error={errors.secret}
      >
        {(control) => (
          <div className="input-with-button">
            <input
              {...control}
              className="input input--mono"
              autoComplete="off"
              spellCheck={false}
              value={secret}
              onChange={(event) => setSecret(event.target.value)}
            />
            <button
              type="button"
              className="button button--secondary"
              onClick={() => setSecret(generateSecret())}
            >
              {t('webhook.generate')}
            </button>
          </div>
        )}
      </Field>
      {result ? <Notice tone={result.tone}>{result.text}</Notice> : null}
      <div className="form-actions">
        <button type="submit" className="button" disabled={busy}>
          {t('webhook.save')}
        </button>
        <button
          type="button"
          className="button button--secondary"
          disabled={busy}
          onClick={() => setConfirmRemove(true)}
        >
          {t('webhook.remove')}
        </button>
      </div>
      {confirmRemove ? (
        <ConfirmDialog
          title={t('webhook.removeTitle')}
          message={t('webhook.removeText')}
          confirmLabel={t('webhook.remove')}
          cancelLabel={t('common.cancel')}
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setConfirmRemove(false)}
        />
      ) : null}
    </form>
  );
}
