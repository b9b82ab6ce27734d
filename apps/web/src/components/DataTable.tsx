import type { ReactNode } from 'react';
import { errorMessage } from '../api/error-message';
import { useI18n, type MessageKey } from '../i18n/i18n';
import { Notice } from './Notice';

interface ListStateProps<T> {
  /** undefined until the first answer arrives. */
  items: readonly T[] | undefined;
  /**
   * The load failed: no "Loading…" then, since nothing is on its way. The screen says why
   * (its own notice, with its own words); or pass `error` and this list says it.
   */
  failed?: boolean;
  /**
   * Why the last load failed, as useResource gives it (nothing when it did not): an error
   * notice above the list says so, and the load counts as failed. Items still shown from an
   * earlier load stay.
   */
  error?: unknown;
  /** The sentence the error notice opens with ('cases.loadFailed'); the reason follows it. */
  failedText?: MessageKey;
  /** What an empty list says; null says nothing. */
  empty: ReactNode;
  children: (items: readonly T[]) => ReactNode;
}

/**
 * The three states of anything a screen loads and lists: "Loading…" (announced, as a status),
 * a plain sentence when there is nothing, else the items, drawn by `children`; above them,
 * why the last load failed, when it did and `error` says so.
 */
export function ListState<T>({
  items,
  failed = false,
  error,
  failedText,
  empty,
  children,
}: ListStateProps<T>) {
  const { t } = useI18n();
  let state: ReactNode;
  if (items === undefined) state = failed || error ? null : <p role="status">{t('app.loading')}</p>;
  else if (items.length === 0) state = empty === null ? null : <p className="empty">{empty}</p>;
  else state = children(items);
  return (
    <>
      {error ? (
        <Notice tone="error">
          {failedText ? `${t(failedText)} ` : null}
          {errorMessage(t, error)}
        </Notice>
      ) : null}
      {state}
    </>
  );
}

interface DataTableProps<T> extends Omit<ListStateProps<T>, 'children'> {
  /** The column headers, in order; a visually hidden one for a column of buttons. */
  columns: readonly ReactNode[];
  /** One <tr> for an item (given its place, and the list it is in). */
  row: (item: T, index: number, items: readonly T[]) => ReactNode;
  caption?: ReactNode;
  /** A caption for screen readers only (the screen's heading already says it). */
  captionHidden?: boolean;
  /** Classes beside "table" (table--compact, a screen's own). */
  className?: string;
  /** A reload is under way: the rows shown may change. */
  busy?: boolean;
}

/** A loaded list as a table: its loading and empty states, then the table under its headers. */
export function DataTable<T>({
  columns,
  row,
  caption,
  captionHidden = false,
  className,
  busy = false,
  ...state
}: DataTableProps<T>) {
  return (
    <ListState {...state}>
      {(items) => (
        <div className="table-wrap" aria-busy={busy || undefined}>
          <table className={className ? `table ${className}` : 'table'}>
            {caption ? (
              <caption className={captionHidden ? 'visually-hidden' : undefined}>{caption}</caption>
            ) : null}
            <thead>
              <tr>
                {columns.map((header, i) => (
                  <th scope="col" key={i}>
                    {header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>{items.map(row)}</tbody>
          </table>
        </div>
      )}
    </ListState>
  );
}
