import { ClientBase } from 'pg';
import { MIGRATIONS_TABLE } from '@mayak/platform';
import { BackupContents, BackupSequence, BackupTable } from './backup-format';

/**
 * What a backup holds is read from the catalog, not listed by hand: every ordinary table of
 * the `public` schema, so a table a new migration adds is backed up without anyone
 * remembering to. Generated columns are left out (the restore's schema computes them).
 */
/**
 * The keystore (wrapped key generations) is never part of a data backup: it is exported on
 * its own and replaced, so that destroying a retired key reaches the backups (see
 * BackupContents).
 */
export const KEYSTORE_TABLE = 'key_generations';

export async function readTables(
  client: ClientBase,
  contents: BackupContents | 'all' = 'all',
): Promise<BackupTable[]> {
  const { rows: tables } = await client.query<{ name: string; columns: string[] }>(`
    SELECT c.relname::text AS name,
           array_agg(a.attname::text ORDER BY a.attnum) AS columns
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                         AND a.attgenerated = ''
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND NOT c.relispartition
     GROUP BY c.relname`);
  const { rows: references } = await client.query<{ child: string; parent: string }>(`
    SELECT child.relname::text AS child, parent.relname::text AS parent
      FROM pg_constraint fk
      JOIN pg_class child ON child.oid = fk.conrelid
      JOIN pg_class parent ON parent.oid = fk.confrelid
     WHERE fk.contype = 'f' AND fk.connamespace = 'public'::regnamespace`);
  const chosen = tables.filter(
    (t) => contents === 'all' || (t.name === KEYSTORE_TABLE) === (contents === 'keystore'),
  );
  const byName = new Map(chosen.map((t) => [t.name, t]));
  return dependencyOrder(
    chosen.map((t) => t.name),
    references.map((r) => [r.child, r.parent]),
  ).map((name) => byName.get(name)!);
}

/**
 * Tables ordered so that every table comes after the tables it references (ties by name, so
 * the order is the same on every run). A table that references itself is no obstacle; a
 * cycle between tables, which the schema has none of, is broken by name, and the restore's
 * replica mode loads it all the same.
 */
export function dependencyOrder(tables: string[], references: Array<[string, string]>): string[] {
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const [child, parent] of references)
    if (child !== parent && parents.has(child) && parents.has(parent))
      parents.get(child)!.add(parent);
  const ordered: string[] = [];
  const placed = new Set<string>();
  const remaining = [...tables].sort();
  while (remaining.length > 0) {
    const ready = remaining.find((t) => [...parents.get(t)!].every((p) => placed.has(p)));
    const next = ready ?? remaining[0];
    ordered.push(next);
    placed.add(next);
    remaining.splice(remaining.indexOf(next), 1);
  }
  return ordered;
}

export async function readSequences(client: ClientBase): Promise<BackupSequence[]> {
  const { rows } = await client.query<BackupSequence>(`
    SELECT sequencename::text AS name, last_value::text AS "lastValue"
      FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename`);
  return rows;
}

/** The migrations applied to a database, oldest first; none if it has no migrations table. */
export async function readAppliedMigrations(client: ClientBase): Promise<string[] | undefined> {
  const { rows: exists } = await client.query<{ found: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS found`,
    [`public.${MIGRATIONS_TABLE}`],
  );
  if (!exists[0].found) return undefined;
  const { rows } = await client.query<{ name: string }>(
    `SELECT name FROM public.${MIGRATIONS_TABLE} ORDER BY id`,
  );
  return rows.map((r) => r.name);
}

export function qualified(client: ClientBase, table: string): string {
  return `public.${client.escapeIdentifier(table)}`;
}

export function columnList(client: ClientBase, columns: string[]): string {
  return columns.map((c) => client.escapeIdentifier(c)).join(', ');
}
