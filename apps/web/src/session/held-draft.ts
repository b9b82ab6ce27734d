/**
 * What a person had typed when Mayak was sealed under them, kept across the fresh sign-in
 * that unsealing needs (a lockdown ends every session). In this page's memory only: never
 * in localStorage, sessionStorage, a cookie or the address, so a reload or a closed tab
 * loses it, and the paper copy the sealed banner asks for is the fallback. Only the same
 * person gets it back; locking the screen or signing out forgets it.
 */
let held: { userId: string; value: unknown } | null = null;

export function holdForNextSignIn(userId: string, value: unknown): void {
  held = { userId, value };
}

/** The held value if it is this person's; either way nothing is held afterwards. */
export function takeHeld<T>(userId: string): T | undefined {
  const found = held;
  held = null;
  return found?.userId === userId ? (found.value as T) : undefined;
}

export function forgetHeld(): void {
  held = null;
}
