export const LANGUAGES = ['ru', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'ru';

/** The locale behind dates and numbers: Russian, and British English for 24-hour, day-first dates. */
export const LOCALES: Record<Language, string> = { ru: 'ru-RU', en: 'en-GB' };

export const isLanguage = (value: unknown): value is Language =>
  typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
