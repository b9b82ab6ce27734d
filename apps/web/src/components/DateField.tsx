import { useEffect, useId, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import {
  addDays,
  DATE_PATTERN,
  formatDate,
  formatDateTime,
  parseDate,
  parseDateTime,
  TIME_PATTERN,
  timeZoneName,
} from '../i18n/dates';
import { useI18n } from '../i18n/i18n';
import type { FieldControl } from './Field';

interface Props extends Partial<FieldControl> {
  /** YYYY-MM-DD (a date) or YYYY-MM-DDTHH:MM (a local date and time); '' when empty or not one. */
  value: string;
  onChange: (value: string) => void;
  className?: string;
}

type Kind = 'date' | 'datetime';

const FORMATS = {
  date: { format: formatDate, parse: parseDate },
  datetime: { format: formatDateTime, parse: parseDateTime },
} as const;

/**
 * A date (or date and time) typed as the user's language writes it, DD.MM.YYYY in Russian and
 * DD/MM/YYYY in English, 24-hour: the browser's own pickers follow its locale, not the page's.
 * The format is stated below the field (and read out with it); what cannot be read as a date
 * is named on leaving the field; Up and Down move the date by a day.
 */
function DateTextInput({ kind, value, onChange, className, ...control }: Props & { kind: Kind }) {
  const { t, language, locale } = useI18n();
  const { format, parse } = FORMATS[kind];
  const [text, setText] = useState(() => (value ? format(value, language) : ''));
  const [wrong, setWrong] = useState(false);
  const lastLanguage = useRef(language);
  // The offset the hint names: the one in force when the field was opened.
  const [openedAt] = useState(() => Date.now());
  const own = useId();
  const hintId = `${control.id ?? own}-format`;
  const errorId = `${control.id ?? own}-format-error`;

  // A value set from outside (a default, a reset) or a new language is written afresh; what
  // the user is typing (its value is what it parses to, or '') is left alone.
  useEffect(() => {
    const relabel = lastLanguage.current !== language;
    lastLanguage.current = language;
    if (relabel || value !== (parse(text) ?? '')) {
      setText(value ? format(value, language) : '');
      setWrong(false);
    }
    // Only a new value or language rewrites the text; typing must not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value, language]);

  const edit = (next: string) => {
    setText(next);
    const parsed = parse(next) ?? '';
    if (parsed) setWrong(false);
    onChange(parsed);
  };

  const step = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
    const current = parse(text);
    if (!current) return;
    event.preventDefault();
    const days = event.key === 'ArrowUp' ? 1 : -1;
    const next =
      kind === 'date'
        ? addDays(current, days)
        : `${addDays(current.slice(0, 10), days)}${current.slice(10)}`;
    edit(format(next, language));
  };

  const pattern =
    kind === 'date'
      ? DATE_PATTERN[language]
      : `${DATE_PATTERN[language]} ${TIME_PATTERN[language]}`;
  const zone =
    kind === 'datetime'
      ? timeZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone, locale, openedAt)
      : null;
  const describedBy = [control['aria-describedby'], wrong ? errorId : null, hintId]
    .filter(Boolean)
    .join(' ');
  return (
    <span className="date-field">
      <input
        {...control}
        className={className ?? 'input'}
        type="text"
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        value={text}
        placeholder={pattern}
        aria-describedby={describedBy}
        {...(wrong || control['aria-invalid'] ? { 'aria-invalid': true } : {})}
        onChange={(event) => edit(event.target.value)}
        onKeyDown={step}
        onBlur={() => setWrong(text.trim() !== '' && parse(text) === null)}
      />
      <span id={hintId} className="date-field__hint">
        {zone
          ? t('dateField.dateTimeHint', { pattern, zone: zone.offset })
          : t('dateField.dateHint', { pattern })}
      </span>
      {wrong ? (
        <span id={errorId} className="field__error date-field__error" role="alert">
          {kind === 'date'
            ? t('dateField.notADate', { pattern, example: formatDate('2026-12-05', language) })
            : t('dateField.notADateTime', {
                pattern,
                example: formatDateTime('2026-12-05T09:30', language),
              })}
        </span>
      ) : null}
    </span>
  );
}

/** A date field: the value is YYYY-MM-DD, or '' when empty or not a date. */
export function DateInput(props: Props) {
  return <DateTextInput {...props} kind="date" />;
}

/** A date and time field, in the browser's time zone: YYYY-MM-DDTHH:MM, or ''. */
export function DateTimeInput(props: Props) {
  return <DateTextInput {...props} kind="datetime" />;
}
