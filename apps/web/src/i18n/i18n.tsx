import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { DATE_DISPLAY, DATE_TIME_DISPLAY, TIME_DISPLAY } from './dates';
import { formatMessage, type Params } from './format';
import { DEFAULT_LANGUAGE, isLanguage, LOCALES, type Language } from './language';
import { en } from './messages.en';
import { ru, type MessageKey } from './messages.ru';
import { vocabularyLabel, type VocabularyKind } from './vocabulary-labels';

const MESSAGES = { ru, en } as const;

const STORAGE_KEY = 'mayak.language';

export function storedLanguage(): Language {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return isLanguage(value) ? value : DEFAULT_LANGUAGE;
  } catch {
    return DEFAULT_LANGUAGE;
  }
}

export function storeLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Private mode or storage disabled: the choice lasts until the page is closed.
  }
}

export interface I18n {
  language: Language;
  locale: string;
  setLanguage: (language: Language) => void;
  t: (key: MessageKey, params?: Params) => string;
  /**
   * The name of a vocabulary code (region, topic, …) in the current language; a dash for
   * null, which the API sends for a case whose sealed facts could not be opened.
   */
  label: (kind: VocabularyKind, code: string | null) => string;
  dateTime: (value: Date | string) => string;
  time: (value: Date | string) => string;
  date: (value: Date | string) => string;
  number: (value: number) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(storedLanguage);

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const setLanguage = useCallback((next: Language) => {
    storeLanguage(next);
    setLanguageState(next);
  }, []);

  const value = useMemo<I18n>(() => {
    const locale = LOCALES[language];
    const messages = MESSAGES[language];
    const dateTimeFormat = new Intl.DateTimeFormat(locale, DATE_TIME_DISPLAY);
    const timeFormat = new Intl.DateTimeFormat(locale, TIME_DISPLAY);
    const dateFormat = new Intl.DateTimeFormat(locale, DATE_DISPLAY);
    const numberFormat = new Intl.NumberFormat(locale);
    const asDate = (v: Date | string) => (typeof v === 'string' ? new Date(v) : v);
    return {
      language,
      locale,
      setLanguage,
      t: (key, params) => formatMessage(messages[key], params, locale),
      label: (kind, code) => (code === null ? '—' : vocabularyLabel(kind, code, language)),
      dateTime: (v) => dateTimeFormat.format(asDate(v)),
      time: (v) => timeFormat.format(asDate(v)),
      date: (v) => dateFormat.format(asDate(v)),
      number: (v) => numberFormat.format(v),
    };
  }, [language, setLanguage]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

export type { MessageKey };
