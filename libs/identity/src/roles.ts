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

/**
 * Every enabled account holding the coordinator role, by id: the last resort of the emergency
 * rota, and whom notifications about staff conduct go to.
 */
export async function activeCoordinatorIds(em: {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}): Promise<string[]> {
  return activeHolderIds(em, 'coordinator');
}

/** Every enabled account holding `role`, by id. */
export async function activeHolderIds(
  em: { query(sql: string, params?: unknown[]): Promise<unknown> },
  role: Role,
): Promise<string[]> {
  const rows = (await em.query(
    `SELECT id FROM users WHERE disabled_at IS NULL AND $1 = ANY(roles) ORDER BY id`,
    [role],
  )) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}
