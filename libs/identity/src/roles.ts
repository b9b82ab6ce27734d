export const ROLES = [
  'volunteer',
  'lawyer',
  'psychologist',
  'responder',
  'coordinator',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** The signed-in person on whose behalf a service method acts. Always the first argument. */
export interface Actor {
  readonly userId: string;
  readonly roles: readonly Role[];
  readonly sessionId?: string;
}
