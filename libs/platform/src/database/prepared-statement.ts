import { DataSource, EntityManager } from 'typeorm';

/**
 * A statement the busy paths run over and over (intake, routing, the outbox): PostgreSQL
 * parses and plans it once on each pooled connection, under its name, and afterwards only
 * binds and executes it, where a plain parameterised query is parsed and planned at every
 * call. The text must not change from call to call (parameters only; arrays for batches), and
 * one name goes with one text, for the life of the process.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

const names = new Map<string, string>();

export function preparedStatement(name: string, text: string): PreparedStatement {
  // pg refuses a second text under a name a connection has prepared; say so at start-up.
  const known = names.get(name);
  if (known !== undefined && known !== text)
    throw new Error(`prepared statement ${name} is defined twice with different texts`);
  names.set(name, text);
  return Object.freeze({ name, text });
}

/**
 * Runs a prepared statement through TypeORM, so that it takes part in the manager's
 * transaction and fails as any query does (QueryFailedError): TypeORM hands the query to pg
 * as it is, and pg takes `{ name, text }` for a named statement.
 */
export function runPrepared<T = unknown>(
  db: EntityManager | DataSource,
  statement: PreparedStatement,
  params: readonly unknown[],
): Promise<T> {
  return db.query<T>(statement as unknown as string, [...params]);
}
