import { randomBytes } from 'node:crypto';
import { combineShares, decodeShare } from '@mayak/custody';
import { TestEnvironment } from '../harness/test-environment';
import { runApp } from './processes';

/** Sealed custody's environment: a node credential, and no key anywhere in it. */
export function sealedOverrides(): Record<string, string> {
  return {
    KEY_CUSTODY: 'sealed',
    NODE_CREDENTIAL: randomBytes(32).toString('base64'),
    MASTER_KEY: '',
    CALLER_HASH_KEY: '',
  };
}

/** `custody init --json` through the real command line; the shares it printed. */
export async function initCustody(
  env: TestEnvironment,
  holders = 3,
  threshold = 2,
): Promise<string[]> {
  const result = await runApp(
    'cli',
    ['custody', 'init', '--holders', String(holders), '--threshold', String(threshold), '--json'],
    env.env,
  );
  if (result.code !== 0) throw new Error(`custody init failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { shares: string[]; threshold: number };
  if (parsed.threshold !== threshold || parsed.shares.length !== holders)
    throw new Error(
      `custody init gave ${parsed.shares.length} shares, threshold ${parsed.threshold}`,
    );
  return parsed.shares;
}

/** What an attacker test needs to search for: the root secret the shares rebuild. */
export function rebuildRoot(shares: string[]): Promise<Buffer> {
  return combineShares(shares.map((share) => decodeShare(share).bytes));
}
