export * from './disclosure.types';
export * from './protect-table';
// For the repository's benchmark script, which may only import @mayak/statistics.
export { benchmarkDisclosure } from './disclosure.bench';
export type { DisclosureBenchmark, DisclosureBenchmarkOptions } from './disclosure.bench';
