import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { CaseNote } from '../../api/types';
import { useI18n } from '../../i18n/i18n';

const NOTE_MAX = 20_000;

/** The case's notes, oldest first; erased ones keep their place and say so. */
export function CaseNotes({
  caseId,
  notes,
  canWrite,
  nameOf,
  onAdded,
}: {
  caseId: string;
  notes: CaseNote[];
  canWrite: boolean;
  nameOf: (userId: string) => string;
  onAdded: () => void;
}) {
  const { t, dateTime } = useI18n();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (busy) return;
    if (!text.trim()) {
      setError(t('notes.empty'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/cases/${caseId}/notes`, { text: text.trim() });
      setText('');
      onAdded();
    } catch (e) {
      setError(`${t('notes.failed')} ${errorMessage(t, e)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="case-notes-title">
      <h2 id="case-notes-title">{t('notes.title')}</h2>
      {notes.length === 0 ? (
        <p className="muted">{t('notes.none')}</p>
      ) : (
        <ol className="notes">
          {notes.map((note) => (
            <li key={note.id} className={note.erased ? 'note note--erased' : 'note'}>
              <p className="note__meta">
                {dateTime(note.createdAt)} · {nameOf(note.authorId)}
              </p>
              {note.erased || note.text === null ? (
                <p className="erased">{t('notes.erased')}</p>
              ) : (
                <p className="note__text prewrap">{note.text}</p>
              )}
            </li>
          ))}
        </ol>
      )}
      {canWrite ? (
        <form className="notes__form" onSubmit={(event) => void submit(event)} noValidate>
          <label htmlFor="case-note" className="field__label">
            {t('notes.add')}
          </label>
          <textarea
            id="case-note"
            className="input"
            rows={4}
            maxLength={NOTE_MAX}
            value={text}
            aria-describedby="case-note-hint"
            onChange={(event) => setText(event.target.value)}
            onKeyDown={(event) => {
              if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
                event.preventDefault();
                void submit();
              }
            }}
          />
          <p id="case-note-hint" className="field__hint">
            {t('notes.hint')}
          </p>
          {error ? (
            <p className="notice notice--error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" className="button" disabled={busy}>
            {busy ? t('notes.saving') : t('notes.save')}{' '}
            <kbd className="shortcut">{t('intake.saveShortcut')}</kbd>
          </button>
        </form>
      ) : null}
    </section>
  );
}
