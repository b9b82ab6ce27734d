/**
 * Results remembered by an id that describes their input exactly, least recently used out
 * first. Each entry weighs `weigh(value)` (1 by default; a protected table weighs its cells,
 * since a four-way table has a hundred times the cells of a one-way one), and the entries
 * together at most `maxWeight`; one heavier than that is not kept. Only what disclosure
 * control made of aggregate counts, in this process's memory.
 */
export class RememberedMap<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>();
  private weight = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get size(): { entries: number; weight: number } {
    return { entries: this.entries.size, weight: this.weight };
  }

  get(id: string): V | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.value;
  }

  set(id: string, value: V): void {
    this.delete(id);
    const weight = this.weigh(value);
    if (weight > this.maxWeight) return;
    for (const [oldest, old] of this.entries) {
      if (this.weight + weight <= this.maxWeight) break;
      this.entries.delete(oldest);
      this.weight -= old.weight;
    }
    this.entries.set(id, { value, weight });
    this.weight += weight;
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.weight -= entry.weight;
  }

  /** Forgets every entry, each handed to `forget` first (to zero what it holds). */
  clear(forget?: (value: V) => void): void {
    if (forget) for (const { value } of this.entries.values()) forget(value);
    this.entries.clear();
    this.weight = 0;
  }
}
