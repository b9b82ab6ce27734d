import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/** PostgreSQL error codes the application reacts to. */
export const PgError = {
  UniqueViolation: '23505',
  ForeignKeyViolation: '23503',
  CheckViolation: '23514',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
  InsufficientPrivilege: '42501',
} as const;

export function pgErrorCode(error: unknown): string | undefined {
  const code =
    (error as { code?: unknown; driverError?: { code?: unknown } } | null)?.code ??
    (error as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Errors that mean "the database is not reachable right now" rather than "your query is wrong". */
export function isConnectionError(error: unknown): boolean {
  const code = pgErrorCode(error);
  // Connection exceptions (not 08P01, a protocol violation: our bug), shutdown, too many connections.
  if (code && /^(0800[0-7]|57P0[1-3]|53300)$/.test(code)) return true;
  // TypeORM releases a transaction's connection the moment the server drops it (a restart
  // ends every session); the transaction's next statement then fails with one of these
  // rather than with the server's own error.
  if (error instanceof QueryRunnerAlreadyReleasedError) return true;
  if (error instanceof QueryRunnerProviderAlreadyReleasedError) return true;
  // Not `instanceof Error`: a socket's error comes from Node's own realm, which under a test
  // runner's sandbox (or across bundled copies) is not this realm's Error.
  const message = (error as { message?: unknown } | null)?.message;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return true;
  return (
    typeof message === 'string' &&
    /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i.test(
      message,
    )
  );
}

/**
 * TypeORM's `query()` answers an UPDATE or DELETE with `[rows, rowCount]` and anything else
 * with the rows; this gives the rows either way.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}

/** The number of rows an UPDATE or DELETE touched, from TypeORM's `query()` answer. */
export function affectedOf(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && typeof result[1] === 'number')
    return result[1];
  return Array.isArray(result) ? result.length : 0;
}
