/** A protected period's released cells, and whether the whole breakdown was withheld. */
export interface ProtectedPeriod {
  readonly cells: ReadonlyArray<{ key: readonly string[]; count: number | null }>;
  readonly withheld: boolean;
}

/**
 * Disclosure plans remembered by the hash of their table, least recently used out first.
 * The limit is in cells, not tables: a four-way table has a hundred times the cells of a
 * one-way one. Only aggregate counts of consenting callers, in this process's memory.
 */
export class RememberedTables {
  private readonly tables = new Map<string, ProtectedPeriod>();
  private cells = 0;

  constructor(private readonly maxCells: number) {}

  get size(): { tables: number; cells: number } {
    return { tables: this.tables.size, cells: this.cells };
  }

  get(id: string): ProtectedPeriod | undefined {
    const table = this.tables.get(id);
    if (table) {
      this.tables.delete(id);
      this.tables.set(id, table);
    }
    return table;
  }

  set(id: string, table: ProtectedPeriod): void {
    const weight = table.cells.length;
    if (weight > this.maxCells || this.tables.has(id)) return;
    for (const [oldest, old] of this.tables) {
      if (this.cells + weight <= this.maxCells) break;
      this.tables.delete(oldest);
      this.cells -= old.cells.length;
    }
    this.tables.set(id, table);
    this.cells += weight;
  }
}
