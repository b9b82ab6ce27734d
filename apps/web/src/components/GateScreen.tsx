import { useEffect } from 'react';
import type { ReactNode } from 'react';
import { useI18n, type MessageKey } from '../i18n/i18n';
import { LanguageSwitch } from './LanguageSwitch';

interface Props {
  /** Names the screen: the browser tab's title, and the heading unless `heading` is given. */
  title: MessageKey;
  /** A heading for a step within the screen; the tab keeps the screen's title. */
  heading?: string | undefined;
  /** For a card whose content needs more room (a share is long). */
  wide?: boolean;
  children: ReactNode;
}

/**
 * The page of a screen that stands before the signed-in shell (sign-in, unseal): the brand
 * and the language switch above one centred card that starts with the screen's heading.
 */
export function GateScreen({ title, heading, wide = false, children }: Props) {
  const { t } = useI18n();

  useEffect(() => {
    document.title = `${t(title)} — ${t('app.titleSuffix')}`;
  }, [t, title]);

  return (
    <div className={wide ? 'gate gate--wide' : 'gate'}>
      <header className="gate__header">
        <span className="brand" aria-hidden="true">
          <img src="/favicon.svg" alt="" width="28" height="28" /> {t('app.name')}
        </span>
        <LanguageSwitch />
      </header>
      <main className="gate__card" id="main">
        <h1>{heading ?? t(title)}</h1>
        {children}
      </main>
    </div>
  );
}
