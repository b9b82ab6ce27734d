import { BACKUP_MAGIC, frame, FrameReader } from './backup-format';
import { BackupException } from './backup.exception';
import { dependencyOrder } from './database-catalog';

async function* inPieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('the backup container', () => {
  const stream = Buffer.concat([
    BACKUP_MAGIC,
    frame('H', { format: 1 }),
    frame('B', { table: 'users' }),
    frame('D', Buffer.from('1\tanna\n2\tboris\n')),
    frame('T', { table: 'users', rows: 2 }),
    frame('E', { tables: 1, rows: 2 }),
  ]);

  it.each([1, 3, 7, 1024])(
    'reads the same frames however the stream is cut (%i-byte pieces)',
    async (size) => {
      const reader = new FrameReader(inPieces(stream, size));
      await reader.readMagic();
      expect(await reader.expect('H')).toEqual({ format: 1 });
      expect(await reader.expect('B')).toEqual({ table: 'users' });
      const data = await reader.next();
      expect(data?.kind).toBe('D');
      expect(data?.payload.toString()).toBe('1\tanna\n2\tboris\n');
      expect(await reader.expect('T')).toEqual({ table: 'users', rows: 2 });
      expect(await reader.expect('E')).toEqual({ tables: 1, rows: 2 });
      expect(await reader.next()).toBeUndefined();
    },
  );

  it('a stream cut off inside a frame is refused, not read as a shorter backup', async () => {
    const reader = new FrameReader(inPieces(stream.subarray(0, stream.length - 3), 16));
    await reader.readMagic();
    await reader.expect('H');
    await reader.expect('B');
    await reader.next();
    await reader.expect('T');
    await expect(reader.next()).rejects.toThrow(BackupException);
  });

  it('a file that is not a backup is refused at its first bytes', async () => {
    const reader = new FrameReader(inPieces(Buffer.from('PGDMP plain dump'), 4));
    await expect(reader.readMagic()).rejects.toThrow(/not a readable Mayak backup/);
  });

  it('frames out of order are refused', async () => {
    const reader = new FrameReader(inPieces(stream, 64));
    await reader.readMagic();
    await expect(reader.expect('B')).rejects.toThrow(/expected a B frame, found H/);
  });
});

describe('the order tables are loaded in', () => {
  it('puts every table after the tables it references, ties by name', () => {
    expect(
      dependencyOrder(
        ['notes', 'cases', 'users', 'audit', 'contacts'],
        [
          ['notes', 'cases'],
          ['notes', 'users'],
          ['cases', 'contacts'],
          ['cases', 'users'],
          ['cases', 'cases'],
          ['contacts', 'users'],
        ],
      ),
    ).toEqual(['audit', 'users', 'contacts', 'cases', 'notes']);
  });

  it('still orders every table when references form a cycle', () => {
    expect(
      dependencyOrder(
        ['a', 'b', 'c'],
        [
          ['a', 'b'],
          ['b', 'a'],
        ],
      ).sort(),
    ).toEqual(['a', 'b', 'c']);
  });
});
