import { randomBytes } from 'node:crypto';
import {
  combineShares,
  decodeShare,
  KEYSTORE_QUERY,
  KeystoreRow,
  storedGeneration,
} from '@mayak/custody';
import {
  applyKeystore,
  deriveKeyMaterial,
  KEY_KINDS,
  KeyMaterial,
  StoredGeneration,
} from '@mayak/platform';
import { TestEnvironment } from '../harness/test-environment';
import { HttpClient } from './http-client';
import { Finished, runApp } from './processes';

/** Sealed custody's environment: a node credential, and no key anywhere in it. */
export function sealedOverrides(): Record<string, string> {
  return {
    KEY_CUSTODY: 'sealed',
    NODE_CREDENTIAL: randomBytes(32).toString('base64'),
    MASTER_KEY: '',
    CALLER_HASH_KEY: '',
  };
}

export interface CustodyInitOptions {
  /** 3 unless given; a string goes to the command line as it is (tests of refused values). */
  holders?: number | string;
  /** 2 unless given; a string goes to the command line as it is. */
  threshold?: number | string;
  /** --json: one JSON line on standard output instead of the operator's text. */
  json?: boolean;
  /** --age-recipients: a file of age public keys, one a line; each share is encrypted to one. */
  ageRecipients?: string;
  /** --out-dir: where the encrypted shares are written (the command's default is `.`). */
  outDir?: string;
}

/**
 * `custody init` through the real command line, as an operator types it; how it finished,
 * whether or not it succeeded. `env` is a test environment, or any object carrying the
 * variables of one.
 */
export function runCustodyInit(
  env: Pick<TestEnvironment, 'env'>,
  options: CustodyInitOptions = {},
): Promise<Finished> {
  const { holders = 3, threshold = 2, json = false, ageRecipients, outDir } = options;
  return runApp(
    'cli',
    [
      'custody',
      'init',
      '--holders',
      String(holders),
      '--threshold',
      String(threshold),
      ...(json ? ['--json'] : []),
      ...(ageRecipients === undefined ? [] : ['--age-recipients', ageRecipients]),
      ...(outDir === undefined ? [] : ['--out-dir', outDir]),
    ],
    env.env,
  );
}

/** `custody init --json` that must succeed: the shares it printed, `holders` of them. */
export async function initCustody(
  env: Pick<TestEnvironment, 'env'>,
  options: { holders?: number; threshold?: number } = {},
): Promise<string[]> {
  const { holders = 3, threshold = 2 } = options;
  const result = await runCustodyInit(env, { holders, threshold, json: true });
  if (result.code !== 0) throw new Error(`custody init failed (${result.code}): ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { shares: string[]; threshold: number };
  if (parsed.threshold !== threshold || parsed.shares.length !== holders)
    throw new Error(
      `custody init gave ${parsed.shares.length} shares, threshold ${parsed.threshold}`,
    );
  return parsed.shares;
}

/**
 * What key holders do at the unseal screen: their shares to one API, one at a time, until it
 * answers that it is unsealed (it then unseals its peers). Fails on any answer but 200, and
 * when the shares run out first.
 */
export async function unsealWithShares(baseUrl: string, shares: string[]): Promise<void> {
  const http = new HttpClient(baseUrl);
  for (const share of shares) {
    const response = await http.post<{ sealed: boolean }>('/api/unseal', { share });
    if (response.status !== 200)
      throw new Error(
        `POST /api/unseal answered ${response.status}: ${response.text.slice(0, 300)}`,
      );
    if (!response.body.sealed) return;
  }
  throw new Error(`still sealed after ${shares.length} shares`);
}

/** What an attacker test needs to search for: the root secret the shares rebuild. */
export function rebuildRoot(shares: string[]): Promise<Buffer> {
  return combineShares(shares.map((share) => decodeShare(share).bytes));
}

/** The keystore's rows as a superuser reads them (what a seized database holds). */
export async function readKeystore(db: {
  query(sql: string): Promise<{ rows: unknown[] } | unknown[]>;
}): Promise<StoredGeneration[]> {
  const result = await db.query(KEYSTORE_QUERY);
  return ((Array.isArray(result) ? result : result.rows) as KeystoreRow[]).map(storedGeneration);
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
  const named: Record<string, Buffer> = {
    root,
    keystore: material.keystoreKey,
    pseudonym: material.pseudonymKey,
  };
  for (const kind of KEY_KINDS)
    for (const g of material[kind]) named[`${kind}:${g.generation}`] = g.key;
  return { named, material };
}
