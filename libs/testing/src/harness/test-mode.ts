/**
 * How deep the slow suites go. `npm test` (and so CI) runs the quick mode; `npm run test:full`
 * (`TEST_FULL=1`) the full one, for the bench machine: the same tests, each asserting the same
 * things, with the attacker's own tools where the quick mode reads the same bytes another way,
 * and more generated cases where the quick mode samples fewer. The README's Testing section
 * lists what each suite does in each mode.
 */
export type TestMode = 'quick' | 'full';

export function testMode(): TestMode {
  return process.env.TEST_FULL === '1' ? 'full' : 'quick';
}

/** `quick` in the quick mode, `full` in the full one. */
export function byTestMode<T>(quick: T, full: T): T {
  return testMode() === 'full' ? full : quick;
}
