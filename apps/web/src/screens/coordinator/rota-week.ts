/**
 * Calendar arithmetic for the rota's week, on the wall clock of the helpline's zone (the
 * zone recurring shifts are defined in), whatever zone the coordinator's laptop is set to.
 * Local dates are YYYY-MM-DD strings; nothing here assumes UTC is local time.
 */

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    });
    formatters.set(zone, format);
  }
  return format;
}

export interface WallClock {
  date: string;
  /** ISO: 1 Monday … 7 Sunday. */
  weekday: number;
  time: string;
}

/** The numbers of a YYYY-MM-DD date (or HH:MM time), with 0 for anything missing. */
function numbers(text: string, separator: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = text.split(separator).map(Number);
  return [a, b, c];
}

/** The wall clock in `zone` at an instant. */
export function wallClock(instant: number | string | Date, zone: string): WallClock {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS.indexOf(parts.weekday ?? '') + 1,
    time: `${parts.hour}:${parts.minute}`,
  };
}

/**
 * The day column of the week starting on `weekStart` (a Monday, YYYY-MM-DD in `zone`) that a
 * shift is shown in: the day it starts, or Monday for one that started the week before and is
 * still on when this week begins; null for a shift outside the week. (While the next week
 * loads, the last week's shifts are still at hand: none of them may land on its Monday.)
 */
export function columnOf(
  startsAt: string | Date,
  endsAt: string | Date,
  weekStart: string,
  zone: string,
): string | null {
  const start = wallClock(startsAt, zone).date;
  if (start >= weekStart) return start <= addDays(weekStart, 6) ? start : null;
  const end = wallClock(endsAt, zone);
  return end.date > weekStart || (end.date === weekStart && end.time > '00:00') ? weekStart : null;
}

/** Milliseconds `zone` is ahead of UTC at an instant. */
function offsetAt(instant: number, zone: string): number {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant a wall-clock date and time happen in `zone` (its rules on that date). */
export function instantOf(date: string, time: string, zone: string): Date {
  const [y, m, d] = numbers(date, '-');
  const [hh, mm] = numbers(time, ':');
  const naive = Date.UTC(y, m - 1, d, hh, mm);
  let guess = naive - offsetAt(naive, zone);
  guess = naive - offsetAt(guess, zone);
  return new Date(guess);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = numbers(date, '-');
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function weekdayOf(date: string): number {
  const [y, m, d] = numbers(date, '-');
  return ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
}

/** The Monday of the week a date is in. */
export function mondayOf(date: string): string {
  return addDays(date, 1 - weekdayOf(date));
}

/** DD.MM.YYYY (or YYYY-MM-DD) typed by a person, as YYYY-MM-DD; null if it is no real date. */
export function parseLocalDate(text: string): string | null {
  const trimmed = text.trim();
  const dotted = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(trimmed);
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
  const [y, m, d] = dotted
    ? [Number(dotted[3]), Number(dotted[2]), Number(dotted[1])]
    : iso
      ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
      : [NaN, NaN, NaN];
  if (!Number.isInteger(y)) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    return null;
  return date.toISOString().slice(0, 10);
}

/** YYYY-MM-DD as DD.MM.YYYY. */
export function showLocalDate(date: string): string {
  const [y, m, d] = date.split('-');
  return `${d}.${m}.${y}`;
}

/** HH:MM on a 24-hour clock, or null. */
export function parseTime(text: string): string | null {
  const match = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/.exec(text.trim());
  return match ? `${(match[1] ?? '').padStart(2, '0')}:${match[2] ?? ''}` : null;
}
