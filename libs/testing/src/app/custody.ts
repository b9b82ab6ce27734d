import { randomBytes } from 'node:crypto';
import { combineShares, decodeShare } from '@mayak/custody';
import {
  applyKeystore,
  deriveKeyMaterial,
  KEY_KINDS,
  KeyKind,
  KeyMaterial,
  StoredGeneration,
} from '@mayak/platform';
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

/** The keystore's rows as a superuser reads them (what a seized database holds). */
export async function readKeystore(db: {
  query(sql: string): Promise<{ rows: unknown[] } | unknown[]>;
}): Promise<StoredGeneration[]> {
  const result = await db.query(
    `SELECT kind, generation, key_id, wrapped, state FROM key_generations ORDER BY kind, generation`,
  );
  const rows = (Array.isArray(result) ? result : result.rows) as Array<{
    kind: KeyKind;
    generation: number;
    key_id: Buffer;
    wrapped: Buffer | null;
    state: StoredGeneration['state'];
  }>;
  return rows.map((r) => ({
    kind: r.kind,
    generation: r.generation,
    keyId: r.key_id,
    wrapped: r.wrapped,
    state: r.state,
  }));
}

/**
 * Every key the shares open, named for an attacker test to search for: the root, the keystore
 * key, and each generation of each kind the keystore still holds (`master:1`, `caller:1`…),
 * plus `current` keys under their kind's name.
 */
export async function custodyKeys(
  shares: string[],
  keystore: StoredGeneration[],
): Promise<{ named: Record<string, Buffer>; material: KeyMaterial }> {
  const root = await rebuildRoot(shares);
  const material = applyKeystore(deriveKeyMaterial(root), keystore);
  const named: Record<string, Buffer> = { root, keystore: material.keystoreKey };
  for (const kind of KEY_KINDS)
    for (const g of material[kind]) named[`${kind}:${g.generation}`] = g.key;
  return { named, material };
}
