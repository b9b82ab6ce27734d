import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { run } from '@mayak/platform/embedded/processes';
import { byTestMode } from '../harness/test-mode';

/**
 * What an attacker who seizes a running server can read of one of its processes, in pieces:
 * the tests search these for key bytes. Two readers see the same bytes:
 *
 * - `gcore` (the full mode, `TEST_FULL=1`): a core dump by Debian's gdb, the attacker's own
 *   tool. A Node process's core is some 13 GB, nearly all of it V8's and WebAssembly's
 *   reservations never touched, written to disk and read back: over a minute a dump.
 * - `pages` (the quick mode, the default): the process stopped with SIGSTOP, then every page
 *   of every mapping that the kernel says holds something (present in memory or swapped out,
 *   from /proc/PID/pagemap) read through /proc/PID/mem, as gdb itself reads them. A page
 *   neither present nor swapped has never been written, or was given back to the kernel: it
 *   reads as zeros in the core too, so no key can be there. This reads a superset of what
 *   gcore's default filter dumps (file-backed pages included), in seconds.
 */
export type MemoryReader = 'gcore' | 'pages';

export function memoryReader(): MemoryReader {
  return byTestMode<MemoryReader>('pages', 'gcore');
}

/** A run of bytes and whether it continues the previous one (so a key may span both). */
export interface MemoryPiece {
  bytes: Buffer;
  contiguous: boolean;
}

const PAGE = 4096;
const PIECE = 16 << 20;
/** Mappings the kernel serves specially, which /proc/PID/mem (and gcore) cannot read. */
const UNREADABLE = new Set(['[vvar]', '[vvar_vclock]', '[vsyscall]']);

/** Every piece of a live process's memory, read the way `reader` says; `dir` holds a core. */
export async function* memoryOf(
  pid: number,
  reader: MemoryReader,
  dir: string,
): AsyncGenerator<MemoryPiece> {
  if (reader === 'gcore') yield* coreDumpOf(pid, dir);
  else yield* pagesOf(pid);
}

async function* coreDumpOf(pid: number, dir: string): AsyncGenerator<MemoryPiece> {
  const prefix = path.join(dir, 'core');
  await run('gcore', ['-o', prefix, String(pid)]);
  const file = `${prefix}.${pid}`;
  const handle = await fs.open(file, 'r');
  try {
    for (;;) {
      const bytes = Buffer.alloc(PIECE);
      const { bytesRead } = await handle.read(bytes, 0, PIECE, null);
      if (bytesRead === 0) return;
      yield { bytes: bytes.subarray(0, bytesRead), contiguous: true };
    }
  } finally {
    await handle.close();
    await fs.rm(file, { force: true });
  }
}

interface Mapping {
  start: number;
  end: number;
  name: string;
}

async function mappingsOf(pid: number): Promise<Mapping[]> {
  const text = await fs.readFile(`/proc/${pid}/maps`, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [range, , , , , ...rest] = line.split(/\s+/);
      const [start, end] = range.split('-').map((hex) => parseInt(hex, 16));
      return { start, end, name: rest.join(' ') };
    });
}

async function* pagesOf(pid: number): AsyncGenerator<MemoryPiece> {
  process.kill(pid, 'SIGSTOP');
  const pagemap = await fs.open(`/proc/${pid}/pagemap`, 'r');
  const mem = await fs.open(`/proc/${pid}/mem`, 'r');
  try {
    let nextAddress = -1;
    for (const mapping of await mappingsOf(pid)) {
      if (UNREADABLE.has(mapping.name)) continue;
      for await (const [from, to] of heldRuns(pagemap, mapping)) {
        for (let address = from; address < to; address += PIECE) {
          const length = Math.min(PIECE, to - address);
          const bytes = Buffer.alloc(length);
          const { bytesRead } = await mem.read(bytes, 0, length, address);
          if (bytesRead !== length)
            throw new Error(
              `read ${bytesRead} of ${length} bytes at 0x${address.toString(16)} (${mapping.name || 'anonymous'}) of process ${pid}`,
            );
          yield { bytes, contiguous: address === nextAddress };
          nextAddress = address + length;
        }
      }
    }
  } finally {
    await mem.close();
    await pagemap.close();
    process.kill(pid, 'SIGCONT');
  }
}

/**
 * The address ranges of a mapping whose pages hold something: pagemap has one 64-bit entry per
 * page, bit 63 set when it is present in memory, bit 62 when it is swapped out.
 */
async function* heldRuns(pagemap: FileHandle, mapping: Mapping): AsyncGenerator<[number, number]> {
  const ENTRIES = 1 << 16;
  const entries = Buffer.alloc(ENTRIES * 8);
  let runStart = -1;
  for (let page = mapping.start / PAGE; page < mapping.end / PAGE; page += ENTRIES) {
    const count = Math.min(ENTRIES, mapping.end / PAGE - page);
    const { bytesRead } = await pagemap.read(entries, 0, count * 8, page * 8);
    if (bytesRead !== count * 8) throw new Error(`pagemap gave ${bytesRead} of ${count * 8} bytes`);
    for (let i = 0; i < count; i++) {
      const held = (entries.readUInt32LE(i * 8 + 4) & 0xc000_0000) !== 0;
      const address = (page + i) * PAGE;
      if (held && runStart < 0) runStart = address;
      if (!held && runStart >= 0) {
        yield [runStart, address];
        runStart = -1;
      }
    }
  }
  if (runStart >= 0) yield [runStart, mapping.end];
}
