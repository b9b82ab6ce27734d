/**
 * Dates and times as people type and read them, in the user's language: DD.MM.YYYY and a
 * 24-hour HH:MM in Russian, DD/MM/YYYY and HH:MM in English (British order, as LOCALES has it).
 * Native date pickers follow the browser's own locale rather than the page's and showed
 * Russian users MM/DD/YYYY with AM/PM, so the date fields are text fields parsed here. Pure,
 * so that it is tested without a browser (test/web/dates.spec.ts).
 *
 * Values inside the app stay ISO: YYYY-MM-DD for a date, YYYY-MM-DDTHH:MM for a local date
 * and time (what <input type="datetime-local"> used to give).
 */
import type { Language } from './language';

/** How a date is written in each language, for the hint beside a field. */
export const DATE_PATTERN: Record<Language, string> = { ru: 'ДД.ММ.ГГГГ', en: 'DD/MM/YYYY' };
export const TIME_PATTERN: Record<Language, string> = { ru: 'ЧЧ:ММ', en: 'HH:MM' };
const SEPARATOR: Record<Language, string> = { ru: '.', en: '/' };

/**
 * How dates and times are shown across the app (the i18n formatters): the same numeric,
 * day-first, 24-hour form the fields take, 05.12.2026, 09:05 in Russian, 05/12/2026, 09:05
 * in English.
 */
export const DATE_DISPLAY: Intl.DateTimeFormatOptions = {
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
};
export const DATE_TIME_DISPLAY: Intl.DateTimeFormatOptions = {
  ...DATE_DISPLAY,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};
export const TIME_DISPLAY: Intl.DateTimeFormatOptions = {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};

const pad = (n: number) => String(n).padStart(2, '0');

/** A real calendar day (not 31.02), years 1000–9999, as YYYY-MM-DD; null otherwise. */
export function isoDate(year: number, month: number, day: number): string | null {
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** "2026-12-05" → "05.12.2026" (ru) or "05/12/2026" (en); anything else as it is. */
export function formatDate(iso: string, language: Language): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  const s = SEPARATOR[language];
  return `${m[3]}${s}${m[2]}${s}${m[1]}`;
}

/**
 * What someone typed → YYYY-MM-DD, or null when it is not a date. Day first, then month,
 * then a four-digit year, separated by a dot, slash, hyphen or space in either language
 * (5.12.2026, 05/12/2026); an ISO date (2026-12-05) is understood too, since it cannot be
 * misread. Month-first (US) order is never guessed.
 */
export function parseDate(text: string): string | null {
  const value = text.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})\s*[./\-\s]\s*(\d{1,2})\s*[./\-\s]\s*(\d{4})$/.exec(value);
  return m ? isoDate(Number(m[3]), Number(m[2]), Number(m[1])) : null;
}

/** "9:05", "09.05" or "0905" → "09:05" (24-hour); null when it is not a time of day. */
export function parseTime(text: string): string | null {
  const m = /^(\d{1,2})(?:\s*[:.]\s*|)(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  return hours < 24 && minutes < 60 ? `${pad(hours)}:${pad(minutes)}` : null;
}

/** "2026-12-05T09:05" → "05.12.2026 09:05" (ru) or "05/12/2026 09:05" (en). */
export function formatDateTime(local: string, language: Language): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(local);
  return m ? `${formatDate(m[1]!, language)} ${m[2]!}` : local;
}

/** A date, a space and a time, as formatDateTime writes them → YYYY-MM-DDTHH:MM, or null. */
export function parseDateTime(text: string): string | null {
  const m = /^(.+?)[\s,T]+(\d{1,2}\s*[:.]?\s*\d{2})$/.exec(text.trim());
  if (!m) return null;
  const date = parseDate(m[1]!);
  const time = parseTime(m[2]!);
  return date && time ? `${date}T${time}` : null;
}

/** The day `days` after (or before) an ISO date. */
export function addDays(iso: string, days: number): string {
  const [y, mo, d] = iso.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d + days));
  return date.toISOString().slice(0, 10);
}

/** The calendar date and time of day of an instant in a time zone: YYYY-MM-DD and HH:MM. */
export function dateInZone(instant: number, timeZone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? '00';
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    time: `${part('hour')}:${part('minute')}`,
  };
}

/**
 * Zones by the name people use for them. Browsers' own names vary with the ICU data they
 * carry (Chromium's Russian has "Moscow" for the short form), so the helpline's own zone is
 * named here; any other is named by the browser.
 */
const ZONE_NAMES: Record<string, { ru: string; en: string }> = {
  'Europe/Moscow': { ru: 'московское время', en: 'Moscow time' },
  UTC: { ru: 'всемирное время', en: 'Coordinated Universal Time' },
  'Etc/UTC': { ru: 'всемирное время', en: 'Coordinated Universal Time' },
};

/**
 * A time zone as people know it, and its offset from UTC at that instant: "московское
 * время", "UTC+3" in Russian, "Moscow time", "UTC+3" in English.
 */
export function timeZoneName(
  timeZone: string,
  locale: string,
  instant: number,
): { name: string; offset: string } {
  const nameOf = (style: 'longGeneric' | 'shortOffset') =>
    new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: style })
      .formatToParts(new Date(instant))
      .find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  const offset = nameOf('shortOffset').replace(/^GMT/, 'UTC');
  const known = ZONE_NAMES[timeZone];
  return {
    name: known ? (locale.startsWith('ru') ? known.ru : known.en) : nameOf('longGeneric'),
    offset: offset === 'UTC' ? 'UTC+0' : offset,
  };
}
