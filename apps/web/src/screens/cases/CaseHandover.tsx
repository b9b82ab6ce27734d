import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { CaseDetail, Colleague } from '../../api/types';
import { useResource } from '../../api/useResource';
import { useI18n } from '../../i18n/i18n';

const NOTE_MAX = 5_000;

/**
 * Handing the case to a colleague of the same service: the assignee offers it with a note
 * (and sees the offer waiting); the colleague offered it sees the note and decides.
 */
export function CaseHandover({
  detail,
  meId,
  canOffer,
  onChanged,
  onAnswered,
}: {
  detail: CaseDetail;
  meId: string;
  /** The reader is the case's assignee and may offer it. */
  canOffer: boolean;
  onChanged: (message: string) => void;
  onAnswered: (accepted: boolean, message: string) => void;
}) {
  const { t, dateTime } = useI18n();
  const handover = detail.handover ?? null;
  const offering = canOffer && handover === null;
  const colleagues = useResource<Colleague[]>(
    offering ? `/api/cases/${detail.id}/colleagues` : null,
  );
  const [toId, setToId] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const fail = (e: unknown) =>
    setError(
      e instanceof ApiError && e.code === 'handover_pending'
        ? t('handover.pending')
        : e instanceof ApiError && e.code === 'invalid_colleague'
          ? t('handover.invalidColleague')
          : errorMessage(t, e),
    );

  const offer = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (!toId) return setError(t('handover.colleagueMissing'));
    if (!note.trim()) return setError(t('handover.noteMissing'));
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/cases/${detail.id}/handover`, { toId, note: note.trim() });
      setNote('');
      setToId('');
      onChanged(t('handover.sent'));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  const answer = async (accept: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/cases/${detail.id}/handover/${accept ? 'accept' : 'refuse'}`);
      onAnswered(accept, accept ? t('handover.accepted') : t('handover.refused'));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  const errorLine = error ? (
    <p className="notice notice--error" role="alert">
      {error}
    </p>
  ) : null;

  // Offered to the reader: the note, and the decision.
  if (handover && handover.toId === meId)
    return (
      <section className="panel handover handover--offered" aria-labelledby="case-handover-title">
        <h2 id="case-handover-title">{t('handover.offeredTitle')}</h2>
        <p className="handover__from">
          {t('handover.offeredBy', {
            name: handover.fromName ?? t('handover.someone'),
            time: dateTime(handover.offeredAt),
          })}
        </p>
        {handover.note ? (
          <blockquote className="handover__note prewrap">{handover.note}</blockquote>
        ) : null}
        <p className="field__hint">{t('handover.offeredHint')}</p>
        {errorLine}
        <div className="handover__actions">
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => void answer(true)}
          >
            {t('handover.accept')}
          </button>
          <button
            type="button"
            className="button button--secondary"
            disabled={busy}
            onClick={() => void answer(false)}
          >
            {t('handover.refuse')}
          </button>
        </div>
      </section>
    );

  if (!canOffer) return null;

  return (
    <section className="panel handover" aria-labelledby="case-handover-title">
      <h2 id="case-handover-title">{t('handover.title')}</h2>
      {handover ? (
        <>
          <p role="status">
            {t('handover.pendingSender', {
              name: handover.toName ?? t('handover.someone'),
              time: dateTime(handover.offeredAt),
            })}
          </p>
          {handover.note ? (
            <blockquote className="handover__note prewrap">{handover.note}</blockquote>
          ) : null}
        </>
      ) : colleagues.data && colleagues.data.length === 0 ? (
        <p className="muted">{t('handover.noColleagues')}</p>
      ) : (
        <form className="handover__form" onSubmit={(event) => void offer(event)} noValidate>
          <div className="field">
            <label htmlFor="handover-colleague" className="field__label">
              {t('handover.colleague')}
            </label>
            <select
              id="handover-colleague"
              className="input"
              value={toId}
              onChange={(event) => setToId(event.target.value)}
            >
              <option value="">{t('handover.chooseColleague')}</option>
              {(colleagues.data ?? []).map((c) => (
                <option key={c.userId} value={c.userId}>
                  {c.username}
                </option>
              ))}
            </select>
          </div>
          <label htmlFor="handover-note" className="field__label">
            {t('handover.note')}
          </label>
          <textarea
            id="handover-note"
            className="input"
            rows={3}
            maxLength={NOTE_MAX}
            value={note}
            aria-describedby="handover-note-hint"
            onChange={(event) => setNote(event.target.value)}
          />
          <p id="handover-note-hint" className="field__hint">
            {t('handover.noteHint')}
          </p>
          {errorLine}
          <button type="submit" className="button" disabled={busy}>
            {busy ? t('handover.sending') : t('handover.send')}
          </button>
        </form>
      )}
    </section>
  );
}
