import { useId, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { useI18n } from '../i18n/i18n';
import type { FieldControl } from './Field';
import { matchChoices, type Choice, type Match } from './match';

interface ListState {
  open: boolean;
  active: number;
}

function useListbox(matches: Match[]) {
  const [list, setList] = useState<ListState>({ open: false, active: 0 });
  const active = Math.min(list.active, Math.max(matches.length - 1, 0));
  return {
    open: list.open && matches.length > 0,
    active,
    activeMatch: list.open ? matches[active] : undefined,
    show: (at = 0) => setList({ open: true, active: at }),
    hide: () => setList((l) => ({ ...l, open: false })),
    move: (by: number) =>
      setList((l) => {
        if (!l.open) return { open: true, active: 0 };
        const n = matches.length;
        return n === 0 ? l : { open: true, active: (active + by + n) % n };
      }),
  };
}

type Listbox = ReturnType<typeof useListbox>;

/**
 * The keys both comboboxes share: arrows move, Enter takes the highlighted choice, Tab takes
 * it too once something was typed. True when the key was one of these.
 */
function navigate(
  event: KeyboardEvent<HTMLInputElement>,
  list: Listbox,
  query: string | null,
  take: (match: Match) => void,
): boolean {
  switch (event.key) {
    case 'ArrowDown':
    case 'ArrowUp':
      event.preventDefault();
      list.move(event.key === 'ArrowDown' ? 1 : -1);
      return true;
    case 'Enter':
      if (list.activeMatch) {
        event.preventDefault();
        take(list.activeMatch);
      }
      return true;
    case 'Tab':
      if (list.activeMatch && query) take(list.activeMatch);
      return true;
    default:
      return false;
  }
}

function Options({
  id,
  matches,
  active,
  selected,
  onPick,
}: {
  id: string;
  matches: Match[];
  active: number;
  selected: (value: string) => boolean;
  onPick: (match: Match) => void;
}) {
  return (
    <ul id={id} role="listbox" className="combobox__list">
      {matches.map((match, index) => (
        <li
          key={match.value}
          id={`${id}-${index}`}
          role="option"
          aria-selected={index === active}
          className={[
            'combobox__option',
            index === active ? 'combobox__option--active' : '',
            selected(match.value) ? 'combobox__option--chosen' : '',
          ].join(' ')}
          // Keep focus in the input: the click picks, the input stays where typing happens.
          onMouseDown={(event) => event.preventDefault()}
          onClick={() => onPick(match)}
        >
          {match.label}
          {match.via ? <span className="combobox__via"> · {match.via}</span> : null}
        </li>
      ))}
    </ul>
  );
}

interface ComboboxProps {
  control: FieldControl;
  choices: readonly Choice[];
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
}

/**
 * Type to find, arrows to move, Enter or Tab to take the highlighted choice, Escape to
 * give up: one choice from a long list (a region) without the mouse.
 */
export function Combobox({ control, choices, value, onChange, required }: ComboboxProps) {
  const { t } = useI18n();
  const listId = useId();
  const selectedLabel = choices.find((c) => c.value === value)?.label ?? '';
  const [query, setQuery] = useState<string | null>(null);
  const matches = useMemo(() => matchChoices(choices, query ?? ''), [choices, query]);
  const list = useListbox(matches);

  const pick = (match: Match) => {
    onChange(match.value);
    setQuery(null);
    list.hide();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (navigate(event, list, query, pick)) return;
    switch (event.key) {
      case 'Escape':
        if (list.open || query !== null) {
          event.preventDefault();
          setQuery(null);
          list.hide();
        }
        break;
    }
  };

  return (
    <div className="combobox">
      <input
        {...control}
        type="text"
        role="combobox"
        className="input"
        autoComplete="off"
        spellCheck={false}
        aria-autocomplete="list"
        aria-expanded={list.open}
        aria-controls={listId}
        aria-activedescendant={list.open ? `${listId}-${list.active}` : undefined}
        required={required}
        value={query ?? selectedLabel}
        onChange={(event) => {
          setQuery(event.target.value);
          list.show(0);
        }}
        onFocus={(event) => event.target.select()}
        onClick={() =>
          list.show(
            Math.max(
              0,
              matches.findIndex((m) => m.value === value),
            ),
          )
        }
        onBlur={() => {
          setQuery(null);
          list.hide();
        }}
        onKeyDown={onKeyDown}
      />
      {list.open ? (
        <Options
          id={listId}
          matches={matches}
          active={list.active}
          selected={(v) => v === value}
          onPick={pick}
        />
      ) : null}
      {query !== null && matches.length === 0 ? (
        <p className="combobox__empty" role="status">
          {t('common.noMatches')}
        </p>
      ) : null}
    </div>
  );
}

interface MultiComboboxProps {
  control: FieldControl;
  choices: readonly Choice[];
  values: readonly string[];
  onChange: (values: string[]) => void;
}

/** Several choices by typing (topics): chosen ones become removable tags before the input. */
export function MultiCombobox({ control, choices, values, onChange }: MultiComboboxProps) {
  const { t } = useI18n();
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const available = useMemo(
    () => choices.filter((c) => !values.includes(c.value)),
    [choices, values],
  );
  const matches = useMemo(() => matchChoices(available, query), [available, query]);
  const list = useListbox(matches);
  const labelOf = (value: string) => choices.find((c) => c.value === value)?.label ?? value;

  const add = (match: Match) => {
    onChange([...values, match.value]);
    setQuery('');
    list.hide();
  };
  const remove = (value: string) => {
    onChange(values.filter((v) => v !== value));
    inputRef.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (navigate(event, list, query, add)) return;
    switch (event.key) {
      case 'Backspace': {
        const last = values[values.length - 1];
        if (query === '' && last !== undefined) {
          event.preventDefault();
          onChange(values.slice(0, -1));
        }
        break;
      }
      case 'Escape':
        if (list.open) {
          event.preventDefault();
          list.hide();
        }
        break;
    }
  };

  return (
    <div className="combobox combobox--multi">
      {values.length > 0 ? (
        <ul className="tags">
          {values.map((value) => (
            <li key={value} className="tag">
              <span>{labelOf(value)}</span>
              <button
                type="button"
                className="tag__remove"
                aria-label={t('common.remove', { label: labelOf(value) })}
                // Tab goes from the input onwards, not through every tag; they stay clickable.
                tabIndex={-1}
                onClick={() => remove(value)}
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
        aria-autocomplete="list"
        aria-expanded={list.open}
        aria-controls={listId}
        aria-activedescendant={list.open ? `${listId}-${list.active}` : undefined}
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
          list.show(0);
        }}
        onClick={() => list.show(0)}
        onBlur={() => {
          setQuery('');
          list.hide();
        }}
        onKeyDown={onKeyDown}
      />
      {list.open ? (
        <Options
          id={listId}
          matches={matches}
          active={list.active}
          selected={() => false}
          onPick={add}
        />
      ) : null}
      {query !== '' && matches.length === 0 ? (
        <p className="combobox__empty" role="status">
          {t('common.noMatches')}
        </p>
      ) : null}
    </div>
  );
}
