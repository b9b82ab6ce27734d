import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { CountTable } from './disclosure.types';
import { protectTable } from './protect-table';
import { skewedCountTable, SkewedTableOptions } from './skewed-table';

export interface DisclosureBenchmarkOptions {
  /** The breakdown; by default month (one) × region (85) × topic (18), as on the dashboard. */
  readonly dimensions?: SkewedTableOptions['dimensions'];
  /** Expected sum of a table: about a month of calls, counted once per topic. */
  readonly total?: number;
  /** Distinct synthetic tables (seeds 1…n), each a different month. */
  readonly tables?: number;
  /** Timed passes over all tables, after one untimed pass to warm the JIT up. */
  readonly rounds?: number;
}

export interface DisclosureBenchmark {
  readonly dimensions: readonly string[];
  readonly tables: number;
  readonly samples: number;
  readonly meanNonZeroCells: number;
  readonly meanSuppressedShare: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string };
}

export const DASHBOARD_BREAKDOWN: SkewedTableOptions['dimensions'] = [
  { name: 'month', size: 1, skew: 0 },
  { name: 'region', size: 85, skew: 1.1 },
  { name: 'topic', size: 18, skew: 0.8 },
];

/**
 * Times `protectTable` on seeded, skewed tables shaped like the dashboard's breakdown (a few
 * big regions, many small ones). Wall-clock per call, so run it on a quiet machine; the
 * dashboard's budget is a p95 of 25 ms for the whole request.
 */
export function benchmarkDisclosure(options: DisclosureBenchmarkOptions = {}): DisclosureBenchmark {
  const dimensions = options.dimensions ?? DASHBOARD_BREAKDOWN;
  const tables: CountTable[] = Array.from({ length: options.tables ?? 50 }, (_, i) =>
    skewedCountTable({ seed: i + 1, dimensions, total: options.total ?? 3000 }),
  );
  let suppressedShare = 0;
  for (const table of tables) {
    const release = protectTable(table);
    suppressedShare += release.cells.filter((c) => c.count === null).length / table.cells.length;
  }
  const durations: number[] = [];
  for (let round = 0; round < (options.rounds ?? 5); round++)
    for (const table of tables) {
      const start = performance.now();
      protectTable(table);
      durations.push(performance.now() - start);
    }
  durations.sort((a, b) => a - b);
  const percentile = (p: number) => durations[Math.ceil(p * durations.length) - 1] ?? 0;
  return {
    dimensions: dimensions.map((d) => d.name),
    tables: tables.length,
    samples: durations.length,
    meanNonZeroCells: tables.reduce((sum, t) => sum + t.cells.length, 0) / tables.length,
    meanSuppressedShare: suppressedShare / tables.length,
    p50Ms: percentile(0.5),
    p95Ms: percentile(0.95),
    maxMs: percentile(1),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  };
}
