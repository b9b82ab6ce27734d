import { BackupError, BackupException } from './backup.exception';

/**
 * The plaintext inside a Mayak backup (which only ever exists inside `age`'s encryption).
 *
 *   "MAYAK-BACKUP\n"                      magic
 *   frame*                                kind: 1 ASCII byte, length: uint32 big-endian, payload
 *
 * Frames come in this order, and a reader refuses any other:
 *
 *   H  header, JSON (BackupHeader): format version, schema migrations, tables in load order
 *   for each table of the header, in its order:
 *     B  JSON { table }
 *     D* the table's rows in PostgreSQL's COPY text format, as the server sent them
 *     T  JSON { table, rows }: how many rows the COPY wrote, checked by the restore
 *   E  JSON { tables, rows }: nothing was cut off
 *
 * Length-prefixed frames rather than COPY's own "\." terminator, so that a reader never scans
 * row data for a marker and a table of any size streams through in the server's own chunks.
 */

export const BACKUP_MAGIC = Buffer.from('MAYAK-BACKUP\n', 'ascii');
export const BACKUP_FORMAT_VERSION = 1;

/** One frame's payload at most: a COPY chunk holds one row, and a row is at most 1 GiB. */
const MAX_FRAME = 1.5 * 1024 ** 3;

export interface BackupTable {
  name: string;
  /** The stored (not generated) columns, in the order the COPY data holds them. */
  columns: string[];
}

export interface BackupSequence {
  name: string;
  /** The sequence's last value when the backup was taken; null if never used. */
  lastValue: string | null;
}

/**
 * A data backup holds every table but the keystore; a keystore export holds the keystore
 * only. They are kept apart so that a retired master key, destroyed in the keystore, is gone
 * from every later keystore export, while the data backups made under it stay as they were:
 * ciphertext nobody can open any more. (Backups from before this field are data backups.)
 */
export type BackupContents = 'data' | 'keystore';

export interface BackupHeader {
  format: number;
  contents?: BackupContents;
  /** A data backup whose data keys need the keystore's generations to open. */
  needsKeystore?: boolean;
  createdAt: string;
  postgresVersion: string;
  /** Applied migrations, oldest first: the schema version the rows fit. */
  migrations: string[];
  /** Every table of the `public` schema, parents before the tables that reference them. */
  tables: BackupTable[];
  sequences: BackupSequence[];
}

export type FrameKind = 'H' | 'B' | 'D' | 'T' | 'E';

export function frame(kind: FrameKind, payload: Buffer | object): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload), 'utf8');
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'ascii');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function malformed(problem: string): BackupException {
  return new BackupException(BackupError.NotABackup, `not a readable Mayak backup: ${problem}`);
}

export interface Frame {
  kind: FrameKind;
  payload: Buffer;
}

/**
 * Reads frames from a byte stream, holding no more than the frame being read (plus one of
 * the stream's chunks) in memory.
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private done = false;
  private readonly source: AsyncIterator<Buffer, unknown>;

  constructor(source: AsyncIterable<Buffer>) {
    this.source = source[Symbol.asyncIterator]();
  }

  async readMagic(): Promise<void> {
    const magic = await this.take(BACKUP_MAGIC.length);
    if (!magic || !magic.equals(BACKUP_MAGIC))
      throw malformed('it does not begin with MAYAK-BACKUP');
  }

  /** The next frame, or undefined at the clean end of the stream. */
  async next(): Promise<Frame | undefined> {
    const head = await this.take(5);
    if (!head) return undefined;
    const kind = head.toString('ascii', 0, 1);
    if (!['H', 'B', 'D', 'T', 'E'].includes(kind))
      throw malformed(`unknown frame kind ${JSON.stringify(kind)}`);
    const length = head.readUInt32BE(1);
    if (length > MAX_FRAME) throw malformed('a frame is impossibly long');
    const payload = await this.take(length);
    if (!payload) throw malformed('the backup ends in the middle of a frame');
    return { kind: kind as FrameKind, payload };
  }

  async expect<T>(kind: FrameKind): Promise<T> {
    const next = await this.next();
    if (!next) throw malformed(`the backup ends where a ${kind} frame belongs`);
    if (next.kind !== kind) throw malformed(`expected a ${kind} frame, found ${next.kind}`);
    return JSON.parse(next.payload.toString('utf8')) as T;
  }

  /** Exactly n bytes; undefined if the stream ends before the first of them. */
  private async take(n: number): Promise<Buffer | undefined> {
    while (this.bufferedBytes < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else if (next.value.length > 0) {
        this.buffered.push(next.value);
        this.bufferedBytes += next.value.length;
      }
    }
    if (this.bufferedBytes === 0 && n > 0) return undefined;
    if (this.bufferedBytes < n) throw malformed('the backup is cut off');
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length ? [rest] : [];
    this.bufferedBytes = rest.length;
    return out;
  }
}
