import { useEffect, useId, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { api } from '../../api/client';
import { REFERRAL_KINDS, type Referral, type ReferralKind } from '../../api/types';
import { Field } from '../../components/Field';
import { useI18n } from '../../i18n/i18n';
import { kindLabel, referralRegionLabel } from '../referrals/referral-words';
import type { ReferralChoice } from './referral-choice';

/** The most referrals one contact carries (the server's limit too). */
export const MAX_REFERRALS = 5;
/** Wait this long after the last key before asking the server. */
const SEARCH_DELAY_MS = 200;

type Results = { status: 'idle' } | { status: 'ready'; entries: Referral[] } | { status: 'failed' };

/**
 * Where the caller was sent: entries of the referral directory found by typing, during the
 * call. Keyboard first, like the region field: type, arrows to move, Enter to take (never to
 * save the form), Escape to close, Backspace on an empty field to drop the last one. Searches
 * the caller's region (and the nationwide entries) unless the region is not known; each entry
 * the server hands over is an audited read, so nothing is fetched until the field is used.
 */
export function ReferralPicker({
  region,
  value,
  onChange,
  disabled,
}: {
  region: string;
  value: readonly ReferralChoice[];
  onChange: (value: ReferralChoice[]) => void;
  disabled?: boolean;
}) {
  const { t, label } = useI18n();
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const [kind, setKind] = useState<ReferralKind | ''>('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [results, setResults] = useState<Results>({ status: 'idle' });

  useEffect(() => {
    if (!open) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      const regional = region !== '' && region !== 'unknown';
      api
        .post<Referral[]>(
          '/api/referrals/search',
          {
            ...(regional ? { region } : {}),
            ...(kind ? { kind } : {}),
            ...(query.trim() ? { text: query.trim() } : {}),
          },
          { signal: controller.signal },
        )
        .then((entries) => {
          if (!controller.signal.aborted) setResults({ status: 'ready', entries });
        })
        .catch(() => {
          if (!controller.signal.aborted) setResults({ status: 'failed' });
        });
    }, SEARCH_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [open, region, kind, query]);

  const chosen = new Set(value.map((v) => v.id));
  const offered =
    results.status === 'ready' ? results.entries.filter((entry) => !chosen.has(entry.id)) : [];
  const current = Math.min(active, Math.max(offered.length - 1, 0));
  const listOpen = open && offered.length > 0;

  const take = (entry: Referral) => {
    if (value.length >= MAX_REFERRALS) return;
    onChange([...value, { id: entry.id, name: entry.name, kind: entry.kind }]);
    setQuery('');
    setActive(0);
  };
  const remove = (id: string) => {
    onChange(value.filter((v) => v.id !== id));
    inputRef.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        event.preventDefault();
        setOpen(true);
        const n = offered.length;
        if (n > 0) setActive((current + (event.key === 'ArrowDown' ? 1 : -1) + n) % n);
        break;
      }
      case 'Enter':
        // Enter here picks, and never saves the form.
        event.preventDefault();
        {
          const entry = listOpen ? offered[current] : undefined;
          if (entry) take(entry);
        }
        break;
      case 'Escape':
        if (open) {
          event.preventDefault();
          setOpen(false);
        }
        break;
      case 'Backspace':
        if (query === '' && value.length > 0) {
          event.preventDefault();
          onChange(value.slice(0, -1));
        }
        break;
    }
  };

  return (
    <div className="referral-picker">
      <Field label={t('referrals.pickerKind')}>
        {(control) => (
          <select
            {...control}
            className="input"
            disabled={disabled}
            value={kind}
            onChange={(event) => setKind(event.target.value as ReferralKind | '')}
          >
            <option value="">{t('referrals.anyKind')}</option>
            {REFERRAL_KINDS.map((code) => (
              <option key={code} value={code}>
                {kindLabel(t, code)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('referrals.picker')} hint={t('referrals.pickerHint')}>
        {(control) => (
          <div className="combobox combobox--multi">
            {value.length > 0 ? (
              <ul className="tags" aria-label={t('referrals.picker')}>
                {value.map((choice) => (
                  <li key={choice.id} className="tag">
                    <span>
                      {choice.name} · {kindLabel(t, choice.kind)}
                    </span>
                    <button
                      type="button"
                      className="tag__remove"
                      aria-label={t('referrals.remove', { name: choice.name })}
                      tabIndex={-1}
                      disabled={disabled}
                      onClick={() => remove(choice.id)}
                    >
                      ×
                    </button>
                  </li>
                ))}
              </ul>
            ) : null}
            <input
              {...control}
              ref={inputRef}
              type="text"
              role="combobox"
              className="input"
              autoComplete="off"
              spellCheck={false}
              disabled={disabled || value.length >= MAX_REFERRALS}
              aria-autocomplete="list"
              aria-expanded={listOpen}
              aria-controls={listId}
              aria-activedescendant={listOpen ? `${listId}-${current}` : undefined}
              value={query}
              onChange={(event) => {
                setQuery(event.target.value);
                setActive(0);
                setOpen(true);
              }}
              onFocus={() => setOpen(true)}
              onBlur={() => setOpen(false)}
              onKeyDown={onKeyDown}
            />
            {listOpen ? (
              <ul id={listId} role="listbox" className="combobox__list">
                {offered.map((entry, index) => (
                  <li
                    key={entry.id}
                    id={`${listId}-${index}`}
                    role="option"
                    aria-selected={index === current}
                    className={[
                      'combobox__option',
                      index === current ? 'combobox__option--active' : '',
                    ].join(' ')}
                    onMouseDown={(event) => event.preventDefault()}
                    onClick={() => take(entry)}
                  >
                    {entry.name}
                    <span className="combobox__via">
                      {' '}
                      · {kindLabel(t, entry.kind)} · {referralRegionLabel(t, label, entry.region)}
                    </span>
                  </li>
                ))}
              </ul>
            ) : null}
            {open && results.status === 'ready' && offered.length === 0 ? (
              <p className="combobox__empty" role="status">
                {t('referrals.pickerEmpty')}
              </p>
            ) : null}
            {open && results.status === 'failed' ? (
              <p className="combobox__empty" role="status">
                {t('referrals.pickerFailed')}
              </p>
            ) : null}
          </div>
        )}
      </Field>
    </div>
  );
}
