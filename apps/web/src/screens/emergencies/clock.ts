const pad = (n: number) => String(n).padStart(2, '0');

/** 1:05, 12:00, 1:02:03 */
export function clock(totalSeconds: number): string {
  const s = Math.abs(totalSeconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}
