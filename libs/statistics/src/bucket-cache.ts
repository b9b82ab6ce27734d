import { BucketCells, zeroCells } from './bucket-cells';

interface Entry {
  readonly version: string;
  readonly cells: BucketCells;
}

/**
 * Decrypted rollup rows, by row id, least recently used out first; the limit is in cells (a
 * month of a busy helpline has thousands, a quiet day a few dozen). An entry is only good for
 * the version it was decrypted at: whoever reads asks the database for the current versions
 * first (see SealedRollups.read), so several API processes need nothing but the database to
 * agree. `clear` zeroes the counts it drops: on sealing, they go with the keys.
 */
export class BucketCache {
  private readonly entries = new Map<string, Entry>();
  private cells = 0;

  constructor(private readonly maxCells: number) {}

  get size(): { rows: number; cells: number } {
    return { rows: this.entries.size, cells: this.cells };
  }

  /** The cells of `rowId` as decrypted at `version`, if still held. */
  get(rowId: string, version: string): BucketCells | undefined {
    const entry = this.entries.get(rowId);
    if (!entry || entry.version !== version) return undefined;
    this.entries.delete(rowId);
    this.entries.set(rowId, entry);
    return entry.cells;
  }

  /** The version held for `rowId`, without touching its place in the queue. */
  versionOf(rowId: string): string | undefined {
    return this.entries.get(rowId)?.version;
  }

  set(rowId: string, version: string, cells: BucketCells): void {
    this.delete(rowId);
    if (cells.size > this.maxCells) return;
    for (const [oldest, old] of this.entries) {
      if (this.cells + cells.size <= this.maxCells) break;
      this.entries.delete(oldest);
      this.cells -= old.cells.size;
    }
    this.entries.set(rowId, { version, cells });
    this.cells += cells.size;
  }

  delete(rowId: string): void {
    const entry = this.entries.get(rowId);
    if (!entry) return;
    this.entries.delete(rowId);
    this.cells -= entry.cells.size;
  }

  clear(): void {
    for (const entry of this.entries.values()) zeroCells(entry.cells);
    this.entries.clear();
    this.cells = 0;
  }
}
