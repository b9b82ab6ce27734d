import { useEffect, useRef } from 'react';
import { en } from '../../i18n/messages.en';
import { ru } from '../../i18n/messages.ru';

/**
 * The intake form's emergency notice, in Russian and English at once whatever the chosen
 * language: it is read by someone mid-call when the system has just stopped under them. It
 * takes focus (and so scrolls into view) when it appears: the save button, where the person
 * was, no longer works.
 */
export function SealedBanner({ state }: { state: 'sealed' | 'unsealedAgain' }) {
  const key = state === 'sealed' ? 'intake.sealed' : 'intake.unsealedAgain';
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [state]);
  return (
    <div
      ref={ref}
      tabIndex={-1}
      className={`notice sealed-banner ${state === 'sealed' ? 'notice--error' : 'notice--warning'}`}
      role="alert"
    >
      <p lang="ru">{ru[key]}</p>
      <p lang="en">{en[key] as string}</p>
    </div>
  );
}
