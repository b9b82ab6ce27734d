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

/** The statement defined under this name in this process, if any (for tests and diagnostics). */
export function preparedStatementNamed(name: string): PreparedStatement | undefined {
  const text = names.get(name);
  return text === undefined ? undefined : Object.freeze({ name, text });
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
  return db.query<T>(statement as unknown as string, params.map(binaryByteaArray));
}

/** PostgreSQL's type id of bytea, which its binary array format names in every array. */
const BYTEA_OID = 17;

/**
 * A batch's array of ciphertexts (Buffers, or null) as PostgreSQL's binary array format
 * (array_send's layout: dimensions, element type, then each element's length and bytes), which
 * pg sends as a binary parameter because it is a Buffer. Left to pg, a Buffer[] becomes an
 * array literal with every element written out as escaped hex: twice the bytes on the wire,
 * encoded here and decoded again by PostgreSQL, for the batches that carry most of the bytes
 * (an intake's sealed records, the outbox's sealed jobs, the audit's sealed entries). The
 * parameter must be a bytea[] in the statement's text: anything else refuses the element
 * type loudly ("binary data has array element type 17 (bytea) instead of expected ...")
 * rather than misreading the bytes. Any other value, an empty array among them, goes as it
 * came.
 */
export function binaryByteaArray(value: unknown): unknown {
  if (!Array.isArray(value) || value.length === 0) return value;
  let size = 20;
  let buffers = 0;
  for (const item of value) {
    if (Buffer.isBuffer(item)) {
      buffers += 1;
      size += item.length;
    } else if (item !== null && item !== undefined) return value;
    size += 4;
  }
  if (buffers === 0) return value; // all null: no type to be sure of
  const nulls = buffers < value.length;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0); // one dimension
  out.writeInt32BE(nulls ? 1 : 0, 4);
  out.writeInt32BE(BYTEA_OID, 8);
  out.writeInt32BE(value.length, 12);
  out.writeInt32BE(1, 16); // lower bound
  let at = 20;
  for (const item of value as Array<Buffer | null | undefined>) {
    if (item === null || item === undefined) {
      out.writeInt32BE(-1, at);
      at += 4;
    } else {
      out.writeInt32BE(item.length, at);
      item.copy(out, at + 4);
      at += 4 + item.length;
    }
  }
  return out;
}

/**
 * A batch's array parameter `$n` of `type` as a prepared statement's text should read it:
 * `(SELECT $n::type[])::type[]`, an array whose length the planner cannot see.
 *
 * PostgreSQL plans a prepared statement's first five calls for their own parameters, and
 * afterwards keeps one generic plan only if that costs no more than those custom plans did on
 * average. A generic plan costs each array as ten elements; a custom plan sees the batch at
 * hand, most often one to four. The generic plan then always looks dearer, and every call is
 * planned afresh: 0.37 ms for the timers' breach statement, a third as long again as it takes
 * to run (bench/README.md). Read through a sub-select (an InitPlan), the array has the same
 * unknown length in both plans, their costs match, and from the sixth call on the connection
 * keeps the generic plan, the same shape the custom plans had
 * (test/foundation/prepared-statements). Only for arrays whose length does not change the best
 * plan: a batch of keys looked up one by one through an index, whatever their number.
 */
export const batchArray = (param: number, type: string): string =>
  `(SELECT $${param}::${type}[])::${type}[]`;
