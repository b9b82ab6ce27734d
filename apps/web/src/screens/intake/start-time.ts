const pad = (n: number) => String(n).padStart(2, '0');

export function formatClock(date: Date): string {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** How far ahead of the clock a typed start time may be before it must mean yesterday. */
const SLACK_MS = 2 * 60_000;

/**
 * A start time typed as a clock reading ("23:40", "2340", "9.05") is the latest such moment
 * not after now: a call logged just past midnight that began at 23:40 began yesterday.
 */
export function parseClock(text: string, now: Date): Date | null {
  const match = /^\s*(\d{1,2})\s*[:.\s]?\s*(\d{2})\s*$/.exec(text);
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return null;
  const candidate = new Date(now);
  candidate.setHours(hours, minutes, 0, 0);
  if (candidate.getTime() > now.getTime() + SLACK_MS) candidate.setDate(candidate.getDate() - 1);
  return candidate;
}
