import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// V8's own collector, without starting the bench with --expose-gc: the flag set at run time
// gives a fresh context its `gc` function.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * A full collection of the bench process's own heap, to run between timed requests, outside
 * their clocks. A client that parses large answers (a four-way statistics answer is ~0.45 MB:
 * its string and body go straight to V8's large-object space) otherwise runs a mark-compact
 * every 15 or so of them, and a pause of the client's, with the incremental marking before it,
 * lands inside whichever request is awaiting its answer at the time: 15-35 ms added to answers
 * the API gave in 2-5 ms (seen 2026-12-06 with --trace-gc on the bench and the API: the API
 * collected almost nothing in that phase, the bench every ~100 ms).
 */
export async function collectGarbage(): Promise<void> {
  gc();
  // The collector sweeps on in background threads after the pause: let it finish before a
  // request's clock starts, so that it does not compete with the API for the cores.
  await new Promise((resolve) => setTimeout(resolve, SWEEP_MS));
}

/** Time for the background sweep after a full collection of the bench's ~50 MB heap. */
const SWEEP_MS = 5;
