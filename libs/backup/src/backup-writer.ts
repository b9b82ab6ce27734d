import { existsSync, promises as fs } from 'node:fs';
import { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { MIGRATIONS_LOCK } from '@mayak/platform';
import { requireAge, runAge } from './age';
import {
  BACKUP_FORMAT_VERSION,
  BACKUP_MAGIC,
  BackupContents,
  BackupHeader,
  frame,
} from './backup-format';
import { BackupError, BackupException } from './backup.exception';
import {
  columnList,
  KEYSTORE_TABLE,
  qualified,
  readAppliedMigrations,
  readSequences,
  readTables,
} from './database-catalog';
import { openDatabase } from './database-session';

export interface BackupOptions {
  /** Owner credentials: the same database URL `migrate` uses. */
  databaseUrl: string;
  out: string;
  /** age recipients (`age1…` public keys, or SSH public keys). */
  recipients: string[];
  /** A file of age recipients, one a line. */
  recipientsFile?: string;
  /** The data (the default), or the keystore alone; see BackupContents. */
  contents?: BackupContents;
  /** May replace an existing file: a keystore export replaces the previous one. */
  replace?: boolean;
}

export interface BackupSummary {
  file: string;
  tables: number;
  rows: number;
  schema: string;
  bytes: number;
}

/**
 * Writes a consistent logical backup: one REPEATABLE READ snapshot of every table, streamed
 * through `age` straight into the output file. The plaintext exists only in this process's
 * memory, a chunk at a time, and in the pipe to age; the file appears under its name only
 * once age has finished it (until then it is FILE.partial, removed if anything fails).
 *
 * The backup holds what the database holds and nothing else: data keys only wrapped by the
 * master key, and no key file of DATA_DIR/keys. Opening its contents needs an age identity
 * of a recipient, the key holders' shares, and the keystore export (`contents: 'keystore'`),
 * which is written separately and replaced each time: once a retired master key is destroyed,
 * no current keystore holds it, and the backups made under it are ciphertext for good.
 */
export async function writeBackup(options: BackupOptions): Promise<BackupSummary> {
  requireAge();
  if (options.recipients.length === 0 && !options.recipientsFile)
    throw new BackupException(
      BackupError.NoRecipients,
      'no recipients: give --recipient AGE_PUBLIC_KEY (repeatable) or --recipients FILE, or set BACKUP_RECIPIENTS_FILE',
    );
  if (options.recipientsFile && !existsSync(options.recipientsFile))
    throw new BackupException(
      BackupError.NoRecipients,
      `the recipients file ${options.recipientsFile} does not exist`,
    );
  const out = path.resolve(options.out);
  if (!options.replace && existsSync(out))
    throw new BackupException(
      BackupError.OutputExists,
      `${out} exists already: a backup never overwrites a file, choose another name`,
    );
  const partial = `${out}.partial`;
  const client = await openDatabase(options.databaseUrl, 'mayak-backup');
  let file: FileHandle | undefined;
  let age: ReturnType<typeof runAge> | undefined;
  try {
    file = await fs.open(partial, 'w', 0o600);
    // Shared against migrate's exclusive lock: the schema stays put while the snapshot is read.
    await client.query(`SELECT pg_advisory_lock_shared(${MIGRATIONS_LOCK})`);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const contents = options.contents ?? 'data';
    const tables = await readTables(client, contents);
    const header: BackupHeader = {
      format: BACKUP_FORMAT_VERSION,
      contents,
      needsKeystore: contents === 'data' && (await keystoreInUse(client)),
      createdAt: new Date().toISOString(),
      postgresVersion: (
        await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)
      ).rows[0].v,
      migrations: (await readAppliedMigrations(client)) ?? [],
      tables,
      // Read after the snapshot began, so no sequence is behind a row the snapshot holds.
      sequences: contents === 'data' ? await readSequences(client) : [],
    };
    if (header.migrations.length === 0)
      throw new BackupException(
        BackupError.SchemaMismatch,
        'the database has no applied migrations: nothing of Mayak to back up',
      );

    age = runAge(
      [
        '--encrypt',
        ...options.recipients.flatMap((r) => ['--recipient', r]),
        ...(options.recipientsFile ? ['--recipients-file', options.recipientsFile] : []),
      ],
      ['pipe', file.fd, 'pipe'],
    );
    const totals = { tables: 0, rows: 0 };
    const [streamed, encrypted] = await Promise.allSettled([
      pipeline(Readable.from(plaintext(client, header, totals)), age.child.stdin!),
      age.finished,
    ]);
    // age's own complaint (a malformed recipient, say) explains a broken pipe better.
    if (encrypted.status === 'rejected') throw encrypted.reason;
    if (streamed.status === 'rejected') throw streamed.reason;
    await client.query('COMMIT');

    await file.sync();
    const { size } = await file.stat();
    await file.close();
    await fs.rename(partial, out);
    await syncDirectory(path.dirname(out));
    return {
      file: out,
      tables: totals.tables,
      rows: totals.rows,
      schema: header.migrations[header.migrations.length - 1],
      bytes: size,
    };
  } catch (error) {
    age?.child.kill('SIGKILL');
    if (file) {
      await file.close().catch(() => undefined);
      await fs.rm(partial, { force: true });
    }
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function keystoreInUse(client: Client): Promise<boolean> {
  const { rows } = await client.query<{ used: boolean }>(
    `SELECT to_regclass('public.${KEYSTORE_TABLE}') IS NOT NULL
            AND EXISTS (SELECT 1 FROM ${KEYSTORE_TABLE} WHERE state <> 'destroyed') AS used`,
  );
  return rows[0].used;
}

async function* plaintext(
  client: Client,
  header: BackupHeader,
  totals: { tables: number; rows: number },
): AsyncGenerator<Buffer> {
  yield BACKUP_MAGIC;
  yield frame('H', header);
  for (const table of header.tables) {
    yield frame('B', { table: table.name });
    const copy = client.query(
      copyTo(
        `COPY ${qualified(client, table.name)} (${columnList(client, table.columns)}) TO STDOUT`,
      ),
    );
    // COPY's text format ends every row with a newline and escapes newlines inside values,
    // so counting them counts rows (the stream's own count arrives after its end).
    let rows = 0;
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) rows += 1;
      yield frame('D', chunk);
    }
    yield frame('T', { table: table.name, rows });
    totals.tables += 1;
    totals.rows += rows;
  }
  yield frame('E', totals);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
