import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { CaseDetail, FollowUp } from '../../api/types';
import { DateInput } from '../../components/DateField';
import { useI18n, type MessageKey } from '../../i18n/i18n';

const NOTE_MAX = 2_000;

const STATUS_KEY: Record<FollowUp['status'], MessageKey> = {
  open: 'followUps.status.open',
  done: 'followUps.status.done',
  cancelled: 'followUps.status.cancelled',
};

/** Today as a date field's value (YYYY-MM-DD), in the browser's zone. */
export function todayValue(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A calendar day (YYYY-MM-DD) as a Date at its noon, for the language's date format. */
export const calendarDay = (day: string): Date => new Date(`${day}T12:00:00`);

/**
 * The case's follow-up calls: planned within the caller's consent to be contacted back, with
 * the safe times the caller gave beside the date; without that consent, why none can be.
 */
export function CaseFollowUps({
  detail,
  canWrite,
  onChanged,
}: {
  detail: CaseDetail;
  canWrite: boolean;
  onChanged: (message: string) => void;
}) {
  const { t, date } = useI18n();
  const [dueOn, setDueOn] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const followUps: FollowUp[] = detail.followUps ?? [];
  // The server sends contact-back details only under the caller's contact_back consent.
  const contactBack = detail.contact?.contactBack;
  const safeTimes = contactBack?.contactBack?.safeTimes;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (!dueOn) {
      setError(t('followUps.dateMissing'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/cases/${detail.id}/follow-ups`, {
        dueOn,
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setDueOn('');
      setNote('');
      onChanged(t('followUps.saved', { date: date(calendarDay(dueOn)) }));
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === 'invalid_follow_up_date'
          ? t('followUps.badDate')
          : e instanceof ApiError && e.code === 'no_contact_back'
            ? t('followUps.noConsent')
            : `${t('followUps.failed')} ${errorMessage(t, e)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  const close = async (followUp: FollowUp, how: 'done' | 'cancel') => {
    setError(null);
    try {
      await api.post(`/api/cases/${detail.id}/follow-ups/${followUp.id}/${how}`);
      onChanged(how === 'done' ? t('followUps.markedDone') : t('followUps.cancelled'));
    } catch (e) {
      setError(`${t('followUps.failed')} ${errorMessage(t, e)}`);
    }
  };

  return (
    <section className="panel follow-ups" aria-labelledby="case-follow-ups-title">
      <h2 id="case-follow-ups-title">{t('followUps.title')}</h2>
      {followUps.length === 0 ? (
        <p className="muted">{t('followUps.none')}</p>
      ) : (
        <ul className="follow-ups__list">
          {followUps.map((f) => (
            <li key={f.id} className={`follow-up follow-up--${f.status}`}>
              <p className="follow-up__when">
                <strong>{t('followUps.due', { date: date(calendarDay(f.dueOn)) })}</strong> ·{' '}
                {t(STATUS_KEY[f.status])}
                {f.overdue ? (
                  <span className="badge badge--overdue">{t('followUps.overdue')}</span>
                ) : null}
              </p>
              {f.note ? <p className="follow-up__note prewrap">{f.note}</p> : null}
              {canWrite && f.status === 'open' ? (
                <div className="follow-up__actions">
                  <button type="button" className="button" onClick={() => void close(f, 'done')}>
                    {t('followUps.markDone')}
                  </button>
                  <button
                    type="button"
                    className="button button--secondary"
                    onClick={() => void close(f, 'cancel')}
                  >
                    {t('followUps.cancel')}
                  </button>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {!canWrite ? null : contactBack === undefined ? (
        <p className="notice notice--warning">{t('followUps.noConsent')}</p>
      ) : (
        <form className="follow-ups__form" onSubmit={(event) => void submit(event)} noValidate>
          <div className="follow-ups__when">
            <div className="field">
              <label htmlFor="follow-up-date" className="field__label">
                {t('followUps.date')}
              </label>
              <DateInput
                id="follow-up-date"
                aria-describedby="follow-up-safe-times"
                value={dueOn}
                onChange={setDueOn}
              />
            </div>
            <p id="follow-up-safe-times" className="follow-ups__safe-times">
              {safeTimes
                ? t('followUps.safeTimes', { times: safeTimes })
                : t('followUps.safeTimesUnknown')}
            </p>
          </div>
          <label htmlFor="follow-up-note" className="field__label">
            {t('followUps.note')}
          </label>
          <textarea
            id="follow-up-note"
            className="input"
            rows={2}
            maxLength={NOTE_MAX}
            value={note}
            aria-describedby="follow-up-note-hint"
            onChange={(event) => setNote(event.target.value)}
          />
          <p id="follow-up-note-hint" className="field__hint">
            {t('followUps.noteHint')}
          </p>
          {error ? (
            <p className="notice notice--error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" className="button" disabled={busy}>
            {busy ? t('followUps.saving') : t('followUps.save')}
          </button>
        </form>
      )}
      {!canWrite && error ? (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
