import { ContactFacts } from './contact-facts';
import { CUBOIDS, cuboidName } from './cuboids';
import { DIMENSION, DIMENSIONS } from './dimensions';

/** One cuboid's non-empty cells of one bucket, as parallel arrays. */
export interface CuboidCells {
  /**
   * Each cell's value in each of the cuboid's dimensions (in its order), as an index into
   * BucketCells.values of that dimension: cell i's are keys[i·n] … keys[i·n + n − 1].
   */
  readonly keys: Uint16Array;
  /** Contacts in the cell (a contact counts once in each of its topics and services). */
  readonly contacts: Uint32Array;
  /** Of those, the ones whose caller consented to statistics. */
  readonly consented: Uint32Array;
}

/** Every cuboid's cells of one day or month: what one sealed rollup row holds. */
export interface BucketCells {
  /** Per dimension, in DIMENSIONS order, the values the keys index. */
  readonly values: ReadonlyArray<readonly string[]>;
  /** By cuboid id (its position in CUBOIDS); undefined where the row holds none. */
  readonly cuboids: ReadonlyArray<CuboidCells | undefined>;
  /** Cells over all cuboids: what a cache of buckets weighs them by. */
  readonly size: number;
}

/** Each cuboid's dimensions as positions in DIMENSIONS. */
export const CUBOID_POSITIONS: ReadonlyArray<readonly number[]> = CUBOIDS.map((cuboid) =>
  cuboid.map((d) => DIMENSIONS.indexOf(d)),
);

/** A cell's key while counting: its value indexes in base RADIX, one digit per dimension. */
const RADIX = 1024;
const FORMAT = 1;

/**
 * Counts contacts (and adds up other buckets' cells) into every cuboid at once, in memory:
 * what the rollups used to do with GROUPING SETS over plaintext columns. A contact counts
 * once in every cell its values make; over topics and services, once per value (and per
 * pair of them where a cuboid has both).
 */
export class CellCounter {
  private readonly indexes = DIMENSIONS.map(() => new Map<string, number>());
  private readonly values: string[][] = DIMENSIONS.map(() => []);
  private readonly counts = CUBOIDS.map(() => new Map<number, Uint32Array>());

  get isEmpty(): boolean {
    return this.counts.every((cells) => cells.size === 0);
  }

  addContact(contact: ContactFacts): void {
    const indexes = DIMENSIONS.map((d, p) =>
      DIMENSION[d].of(contact).map((value) => this.indexOf(p, value)),
    );
    const consented = contact.statsConsented ? 1 : 0;
    for (let id = 0; id < CUBOIDS.length; id++)
      this.addCross(this.counts[id], CUBOID_POSITIONS[id], indexes, 0, 0, 1, consented);
  }

  addCells(cells: BucketCells): void {
    const remap = cells.values.map((values, p) => values.map((value) => this.indexOf(p, value)));
    cells.cuboids.forEach((cuboid, id) => {
      if (!cuboid) return;
      const positions = CUBOID_POSITIONS[id];
      const n = positions.length;
      for (let c = 0; c < cuboid.contacts.length; c++) {
        let key = 0;
        let scale = 1;
        for (let j = 0; j < n; j++) {
          key += remap[positions[j]][cuboid.keys[c * n + j]] * scale;
          scale *= RADIX;
        }
        add(this.counts[id], key, cuboid.contacts[c], cuboid.consented[c]);
      }
    });
  }

  /** Adds to one cell of one cuboid, given its values in the cuboid's dimensions (in order). */
  addCell(cuboidId: number, values: readonly string[], contacts: number, consented: number): void {
    const positions = CUBOID_POSITIONS[cuboidId];
    let key = 0;
    let scale = 1;
    positions.forEach((p, j) => {
      key += this.indexOf(p, values[j]) * scale;
      scale *= RADIX;
    });
    add(this.counts[cuboidId], key, contacts, consented);
  }

  /** The counts so far, every cuboid's cells in key order. */
  cells(): BucketCells {
    let size = 0;
    const cuboids = this.counts.map((counts, id): CuboidCells => {
      const n = CUBOID_POSITIONS[id].length;
      const order = [...counts.keys()].sort((a, b) => a - b);
      const keys = new Uint16Array(order.length * n);
      const contacts = new Uint32Array(order.length);
      const consented = new Uint32Array(order.length);
      order.forEach((key, c) => {
        for (let j = 0; j < n; j++) keys[c * n + j] = Math.floor(key / RADIX ** j) % RADIX;
        const count = counts.get(key)!;
        contacts[c] = count[0];
        consented[c] = count[1];
      });
      size += order.length;
      return { keys, contacts, consented };
    });
    return { values: this.values.map((v) => [...v]), cuboids, size };
  }

  private indexOf(position: number, value: string): number {
    const index = this.indexes[position];
    let i = index.get(value);
    if (i === undefined) {
      i = this.values[position].length;
      if (i >= RADIX) throw new Error(`statistics: more than ${RADIX} values of one dimension`);
      index.set(value, i);
      this.values[position].push(value);
    }
    return i;
  }

  private addCross(
    counts: Map<number, Uint32Array>,
    positions: readonly number[],
    indexes: number[][],
    j: number,
    key: number,
    scale: number,
    consented: number,
  ): void {
    if (j === positions.length) {
      add(counts, key, 1, consented);
      return;
    }
    for (const i of indexes[positions[j]])
      this.addCross(counts, positions, indexes, j + 1, key + i * scale, scale * RADIX, consented);
  }
}

function add(
  counts: Map<number, Uint32Array>,
  key: number,
  contacts: number,
  consented: number,
): void {
  const count = counts.get(key);
  if (count) {
    count[0] += contacts;
    count[1] += consented;
  } else counts.set(key, Uint32Array.of(contacts, consented));
}

/** The sum of several buckets' cells (a month from its days). */
export function sumCells(parts: Iterable<BucketCells>): BucketCells {
  const counter = new CellCounter();
  for (const part of parts) counter.addCells(part);
  return counter.cells();
}

/**
 * The plaintext of a sealed row: compact JSON (per dimension the values used, per cuboid a
 * flat list of [value index…, contacts, consented] per cell), naming the row it belongs to,
 * and padded with spaces so that its length says little about how many cells it holds: to
 * 4 KiB, and beyond that to an eighth of its power of two.
 */
export function encodeCells(rowId: string, cells: BucketCells): string {
  const values: Record<string, readonly string[]> = {};
  DIMENSIONS.forEach((d, p) => (values[d] = cells.values[p]));
  const cuboids: Record<string, number[]> = {};
  cells.cuboids.forEach((cuboid, id) => {
    if (!cuboid) return;
    const n = CUBOID_POSITIONS[id].length;
    const flat: number[] = [];
    for (let c = 0; c < cuboid.contacts.length; c++) {
      for (let j = 0; j < n; j++) flat.push(cuboid.keys[c * n + j]);
      flat.push(cuboid.contacts[c], cuboid.consented[c]);
    }
    cuboids[cuboidName(CUBOIDS[id])] = flat;
  });
  const json = JSON.stringify({ format: FORMAT, row: rowId, values, cuboids });
  const bytes = Buffer.byteLength(json);
  return json.padEnd(json.length + paddedLength(bytes) - bytes);
}

/** 4 KiB at least; beyond, a multiple of an eighth of the length's power of two (≤ 12.5% more). */
export function paddedLength(bytes: number): number {
  const step = Math.max(4096, 2 ** Math.floor(Math.log2(Math.max(bytes, 1))) / 8);
  return Math.max(step, Math.ceil(bytes / step) * step);
}

/** The cells of a sealed row's plaintext; refuses a plaintext written for another row. */
export function decodeCells(rowId: string, plaintext: string): BucketCells {
  const parsed = JSON.parse(plaintext) as {
    format: number;
    row: string;
    values: Record<string, string[] | undefined>;
    cuboids: Record<string, number[] | undefined>;
  };
  if (parsed.format !== FORMAT || parsed.row !== rowId)
    throw new Error('statistics: a sealed rollup that is not this row');
  let size = 0;
  const cuboids = CUBOIDS.map((dimensions): CuboidCells | undefined => {
    const flat = parsed.cuboids[cuboidName(dimensions)];
    if (!flat) return undefined;
    const n = dimensions.length;
    const count = flat.length / (n + 2);
    const keys = new Uint16Array(count * n);
    const contacts = new Uint32Array(count);
    const consented = new Uint32Array(count);
    for (let c = 0, at = 0; c < count; c++) {
      for (let j = 0; j < n; j++) keys[c * n + j] = flat[at++];
      contacts[c] = flat[at++];
      consented[c] = flat[at++];
    }
    size += count;
    return { keys, contacts, consented };
  });
  return { values: DIMENSIONS.map((d) => parsed.values[d] ?? []), cuboids, size };
}

/** Overwrites the counts (on sealing: what the keys protected does not stay in memory). */
/**
 * The same bucket holding only the cuboids named (sharing their arrays): what a cache of the
 * small cuboids keeps once the whole bucket is gone.
 */
export function restrictCells(cells: BucketCells, keep: ReadonlySet<number>): BucketCells {
  let size = 0;
  const cuboids = cells.cuboids.map((cuboid, id) => {
    if (!cuboid || !keep.has(id)) return undefined;
    size += cuboid.contacts.length;
    return cuboid;
  });
  return { values: cells.values, cuboids, size };
}

export function zeroCells(cells: BucketCells): void {
  for (const cuboid of cells.cuboids) {
    cuboid?.contacts.fill(0);
    cuboid?.consented.fill(0);
  }
}
