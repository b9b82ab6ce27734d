import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n/i18n';

export interface SummaryItem {
  /** The id of the control to jump to. */
  target: string;
  message: string;
}

/**
 * The problems with a form, listed at its top and focused when they appear, each linking
 * to its field: the pattern that works with screen readers and keyboards alike.
 */
export function ErrorSummary({
  items,
  general,
}: {
  items: SummaryItem[];
  general?: string | null;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const key = [general ?? '', ...items.map((i) => i.target + i.message)].join('|');
  useEffect(() => {
    if (key !== '') ref.current?.focus();
  }, [key]);
  if (items.length === 0 && !general) return null;
  return (
    <div className="error-summary" role="alert" tabIndex={-1} ref={ref}>
      <h2 className="error-summary__title">{t('error.summary')}</h2>
      {general ? <p>{general}</p> : null}
      {items.length > 0 ? (
        <ul>
          {items.map((item) => (
            <li key={item.target + item.message}>
              <a
                href={`#${item.target}`}
                onClick={(event) => {
                  event.preventDefault();
                  document.getElementById(item.target)?.focus();
                }}
              >
                {item.message}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
