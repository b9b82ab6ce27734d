import type { ReactNode } from 'react';
import { useI18n } from '../i18n/i18n';

interface ListStateProps<T> {
  /** undefined until the first answer arrives. */
  items: readonly T[] | undefined;
  /**
   * The load failed: no "Loading…" then, since nothing is on its way. The screen says why
   * (its own notice, with its own words).
   */
  failed?: boolean;
  /** What an empty list says; null says nothing. */
  empty: ReactNode;
  children: (items: readonly T[]) => ReactNode;
}

/**
 * The three states of anything a screen loads and lists: "Loading…" (announced, as a status),
 * a plain sentence when there is nothing, else the items, drawn by `children`.
 */
export function ListState<T>({ items, failed = false, empty, children }: ListStateProps<T>) {
  const { t } = useI18n();
  if (items === undefined) return failed ? null : <p role="status">{t('app.loading')}</p>;
  if (items.length === 0) return empty === null ? null : <p className="empty">{empty}</p>;
  return <>{children(items)}</>;
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
