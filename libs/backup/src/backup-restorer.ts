import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { migrationNames, MIGRATIONS_TABLE, runMigrations } from '@mayak/platform';
import { AgeProcess, requireAge, runAge } from './age';
import { BACKUP_FORMAT_VERSION, BackupHeader, FrameReader } from './backup-format';
import { BackupError, BackupException } from './backup.exception';
import { columnList, qualified, readAppliedMigrations, readTables } from './database-catalog';
import { openDatabase } from './database-session';

export interface RestoreOptions {
  /** Owner or superuser credentials: the same database URL `migrate` uses. */
  databaseUrl: string;
  /** The application's connection, whose role gets its rights on the restored schema. */
  appUrl?: string;
  in: string;
  /** An age identity file holding the private key of one of the backup's recipients. */
  identity: string;
  /** The keystore export (written beside every backup); needed once keys have rotated. */
  keystore?: string;
}

export interface RestoreSummary {
  tables: number;
  rows: number;
  /** The newest migration of the backup: the schema the database is now at. */
  schema: string;
  /** Migrations this build knows that are newer than the backup (`migrate` applies them). */
  newerMigrations: number;
}

/**
 * Restores a backup into a database with no application data: migrates it to the backup's
 * schema version (no further, so the rows fit), then loads every table in one transaction,
 * committed only after age has authenticated the backup to its last byte. A failed or
 * refused restore leaves no row behind.
 *
 * Rows are loaded exactly as they were backed up, audit chain columns included, in
 * replica mode: no trigger fires, so nothing recomputes or refuses a value (and no
 * foreign key is re-checked; the rows come from one consistent snapshot, loaded parents
 * first). That mode needs the owner's or a superuser's credentials, which `migrate` has.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  requireAge();
  for (const [what, file] of [
    ['--in', options.in],
    ['--identity', options.identity],
    ...(options.keystore ? [['--keystore', options.keystore]] : []),
  ])
    if (!existsSync(file))
      throw new BackupException(BackupError.NotABackup, `${what} ${file} does not exist`);
  const client = await openDatabase(options.databaseUrl, 'mayak-restore');
  let backup: OpenedFile | undefined;
  try {
    const applied = await requireNoApplicationData(client);
    backup = await openFile(options.in, options.identity);
    const { header } = backup;
    if (header.contents === 'keystore')
      throw new BackupException(
        BackupError.NotABackup,
        `${options.in} is a keystore export, not a backup: give it with --keystore, and the backup with --in`,
      );
    if (header.needsKeystore && !options.keystore)
      throw new BackupException(
        BackupError.KeystoreMissing,
        'this backup needs the keystore export (keystore.age, written beside every backup): give it with --keystore FILE',
      );
    const schema = checkSchema(header, applied);
    await runMigrations(options.databaseUrl, { through: schema, appUrl: options.appUrl });

    await client.query('BEGIN');
    await enterReplicaMode(client);
    await requireNoApplicationData(client);
    await requireSameShape(client, header);
    // What is left are rows the migrations wrote (the migrations table itself, seeds): the
    // backup holds the same tables whole, as they were.
    for (const table of header.tables)
      await client.query(`DELETE FROM ${qualified(client, table.name)}`);

    const totals = await loadToEnd(client, backup, 'it');
    if (options.keystore) await loadKeystore(client, options.keystore, options.identity);
    for (const sequence of header.sequences)
      if (sequence.lastValue !== null)
        await client.query(`SELECT setval($1::regclass, $2::bigint, true)`, [
          qualified(client, sequence.name),
          sequence.lastValue,
        ]);
    await client.query('COMMIT');
    return {
      ...totals,
      schema,
      newerMigrations: migrationNames().length - header.migrations.length,
    };
  } catch (error) {
    backup?.age.child.kill('SIGKILL');
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Refuses a database that anything but a migration has written to. A migration may seed a
 * row (the statistics state, say), so "no rows" would refuse a freshly migrated database;
 * instead a row counts as application data unless it was written by the transaction that
 * recorded a migration (TypeORM records each one in the transaction that applies it).
 */
async function requireNoApplicationData(client: Client): Promise<string[] | undefined> {
  const tables = await readTables(client);
  if (tables.length === 0) return undefined;
  const applied = await readAppliedMigrations(client);
  if (!applied)
    throw new BackupException(
      BackupError.TargetNotEmpty,
      'the target database has tables that are not Mayak’s: restore into a new, empty database',
    );
  for (const table of tables) {
    if (table.name === MIGRATIONS_TABLE) continue;
    const { rows } = await client.query<{ used: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${qualified(client, table.name)}
                       WHERE NOT (xmin = ANY (SELECT xmin FROM public.${MIGRATIONS_TABLE}))) AS used`,
    );
    if (rows[0].used)
      throw new BackupException(
        BackupError.TargetNotEmpty,
        `the target database is not empty (table ${table.name} has rows): a restore goes only into a new, empty database, never over one in use`,
      );
  }
  return applied;
}

function checkSchema(header: BackupHeader, applied: string[] | undefined): string {
  if (header.format !== BACKUP_FORMAT_VERSION)
    throw notABackup(
      `its format version ${header.format} is not ${BACKUP_FORMAT_VERSION}, the one this version of Mayak reads`,
    );
  const known = migrationNames();
  const schema = header.migrations[header.migrations.length - 1];
  if (!schema || !isPrefix(header.migrations, known))
    throw new BackupException(
      BackupError.SchemaMismatch,
      `the backup was made at a schema this version of Mayak does not know (${schema ?? 'none'}): restore it with the version that made it, or a newer one`,
    );
  if (applied && !isPrefix(applied, header.migrations))
    throw new BackupException(
      BackupError.SchemaMismatch,
      `the target database is at a newer schema than the backup (${applied[applied.length - 1]}): restore into a new, empty database`,
    );
  return schema;
}

async function enterReplicaMode(client: Client): Promise<void> {
  try {
    await client.query(`SET LOCAL session_replication_role = replica`);
  } catch {
    throw new BackupException(
      BackupError.NeedsOwner,
      'restore needs the database owner’s superuser credentials (the ones `migrate` uses), not the application’s',
    );
  }
}

/**
 * Loads a keystore export into the (empty) keystore of the database being restored. The
 * export is the current one, not one from the backup's day: what it no longer holds was
 * destroyed on purpose, and stays so.
 */
async function loadKeystore(client: Client, file: string, identity: string): Promise<void> {
  const keystore = await openFile(file, identity);
  try {
    if (keystore.header.contents !== 'keystore')
      throw new BackupException(
        BackupError.NotABackup,
        `${file} is not a keystore export (those are written beside each backup as keystore.age)`,
      );
    const target = new Map((await readTables(client, 'keystore')).map((t) => [t.name, t.columns]));
    for (const table of keystore.header.tables) {
      const columns = target.get(table.name);
      if (!columns || !sameColumns(columns, table.columns))
        throw new BackupException(
          BackupError.SchemaMismatch,
          `the keystore export's ${table.name} does not fit this schema: restore a newer backup, or migrate first`,
        );
      await client.query(`DELETE FROM ${qualified(client, table.name)}`);
    }
    await loadToEnd(client, keystore, 'the keystore export');
  } catch (error) {
    keystore.age.child.kill('SIGKILL');
    throw error;
  }
}

interface OpenedFile {
  age: AgeProcess;
  reader: FrameReader;
  header: BackupHeader;
}

/** Starts age decrypting `file` and reads as far as its header. */
async function openFile(file: string, identity: string): Promise<OpenedFile> {
  const age = runAge(
    ['--decrypt', '--identity', path.resolve(identity), path.resolve(file)],
    ['ignore', 'pipe', 'pipe'],
  );
  const reader = new FrameReader(age.child.stdout! as AsyncIterable<Buffer>);
  try {
    const header = await explainedByAge(age, async () => {
      await reader.readMagic();
      return reader.expect<BackupHeader>('H');
    });
    return { age, reader, header };
  } catch (error) {
    age.child.kill('SIGKILL');
    throw error;
  }
}

/**
 * Loads every table of an opened file, and makes sure nothing follows its end: age has then
 * authenticated every chunk, and its exit says nothing was cut off or appended.
 */
async function loadToEnd(
  client: Client,
  file: OpenedFile,
  what: string,
): Promise<{ tables: number; rows: number }> {
  const totals = await explainedByAge(file.age, () => loadTables(client, file.reader, file.header));
  await explainedByAge(file.age, async () => {
    if (await file.reader.next()) throw notABackup(`${what} goes on after its end`);
  });
  await file.age.finished;
  return totals;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join() === [...b].sort().join();
}

/** After migrating to the backup's version the tables must be the backup's, column for column. */
async function requireSameShape(client: Client, header: BackupHeader): Promise<void> {
  const target = new Map((await readTables(client, 'data')).map((t) => [t.name, t.columns]));
  const backedUp = new Set(header.tables.map((t) => t.name));
  for (const table of header.tables) {
    const columns = target.get(table.name);
    if (!columns || !sameColumns(columns, table.columns))
      throw new BackupException(
        BackupError.SchemaMismatch,
        `table ${table.name} differs from the backup's after migrating: the schema was changed by hand`,
      );
  }
  for (const name of target.keys())
    if (!backedUp.has(name))
      throw new BackupException(
        BackupError.SchemaMismatch,
        `table ${name} is not in the backup: the schema was changed by hand`,
      );
}

async function loadTables(
  client: Client,
  reader: FrameReader,
  header: BackupHeader,
): Promise<{ tables: number; rows: number }> {
  let rows = 0;
  for (const table of header.tables) {
    const begin = await reader.expect<{ table: string }>('B');
    if (begin.table !== table.name)
      throw notABackup(`table ${begin.table} comes where ${table.name} belongs`);
    const sink = client.query(
      copyFrom(
        `COPY ${qualified(client, table.name)} (${columnList(client, table.columns)}) FROM STDIN`,
      ),
    );
    const end: { trailer?: { table: string; rows: number } } = {};
    await pipeline(Readable.from(tableData(reader, end)), sink);
    if (end.trailer?.table !== table.name || end.trailer.rows !== sink.rowCount)
      throw notABackup(`table ${table.name} does not hold the rows its backup counted`);
    rows += sink.rowCount;
  }
  const end = await reader.expect<{ tables: number; rows: number }>('E');
  if (end.tables !== header.tables.length || end.rows !== rows)
    throw notABackup('its totals do not match its tables');
  return { tables: header.tables.length, rows };
}

async function* tableData(
  reader: FrameReader,
  end: { trailer?: { table: string; rows: number } },
): AsyncGenerator<Buffer> {
  for (;;) {
    const next = await reader.next();
    if (!next) throw notABackup('it is cut off inside a table');
    if (next.kind === 'D') yield next.payload;
    else if (next.kind === 'T') {
      end.trailer = JSON.parse(next.payload.toString('utf8')) as typeof end.trailer;
      return;
    } else throw notABackup(`a ${next.kind} frame inside a table`);
  }
}

/**
 * When the stream cannot be read, age usually knows why (a wrong identity, a file that is
 * not age's, a cut-off file): its explanation wins over the reader's.
 */
async function explainedByAge<T>(age: AgeProcess, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof BackupException) || error.code !== BackupError.NotABackup) throw error;
    const verdict = await Promise.race([
      age.finished.then(
        () => undefined,
        (ageError: unknown) => (ageError instanceof Error ? ageError : undefined),
      ),
      delay(5_000).then(() => undefined),
    ]);
    throw verdict ?? error;
  }
}

function notABackup(problem: string): BackupException {
  return new BackupException(BackupError.NotABackup, `not a readable Mayak backup: ${problem}`);
}

function isPrefix(prefix: string[], of: string[]): boolean {
  return prefix.length <= of.length && prefix.every((name, i) => of[i] === name);
}
