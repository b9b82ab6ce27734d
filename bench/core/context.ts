import type { BenchOptions } from './options';
import type { BenchServices } from './services';
import type { AppStack } from './stack';

/** What every figure gets: the options, the servers, Mayak on demand, and a progress log. */
export interface BenchContext {
  options: BenchOptions;
  services: BenchServices;
  stack: AppStack;
  /** WORKER_CONCURRENCY as Mayak's own configuration reads it (default 16). */
  workerConcurrency: number;
  /** Progress for the operator, on stderr; the table goes to stdout. */
  log(line: string): void;
}
