export * from './disclosure.types';
export * from './protect-table';
export { exposedToCoarserReleases } from './coarser-exposure';
export { protectCover, withheldCover } from './cover-table';
export type { ProtectedCover } from './cover-table';
export { DisclosureBudgetExceeded } from './suppression-planner';
export type { PlanningOptions } from './suppression-planner';
// For the repository's benchmark script, which may only import @mayak/statistics.
export { benchmarkDisclosure } from './disclosure.bench';
export type { DisclosureBenchmark, DisclosureBenchmarkOptions } from './disclosure.bench';
// Seeded synthetic breakdowns, for the attacker tests under test/statistics.
export { skewedCountTable } from './skewed-table';
export type { SkewedTableOptions } from './skewed-table';
