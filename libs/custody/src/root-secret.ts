import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';

export const ROOT_BYTES = 32;

/**
 * What the database keeps of the root secret: an HMAC under the root of a fixed label and the
 * setup id. It tells a right rebuild from a wrong one, and says nothing about the root.
 */
export function checkValue(root: Buffer, custodyId: Buffer): Buffer {
  return createHmac('sha256', root).update('mayak:custody-check:v1').update(custodyId).digest();
}

export function matchesCheckValue(root: Buffer, custodyId: Buffer, expected: Buffer): boolean {
  const actual = checkValue(root, custodyId);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function newRootSecret(): Buffer {
  return randomBytes(ROOT_BYTES);
}

/** Shamir's scheme from an independently audited implementation; no field arithmetic here. */
export async function splitRoot(
  root: Buffer,
  holders: number,
  threshold: number,
): Promise<Uint8Array[]> {
  return split(new Uint8Array(root.buffer, root.byteOffset, root.byteLength), holders, threshold);
}

/** Rebuilds a root from shares into a Buffer the caller owns (and must zero). */
export async function combineShares(shares: Buffer[]): Promise<Buffer> {
  const rebuilt = await combine(
    shares.map((s) => new Uint8Array(s.buffer, s.byteOffset, s.length)),
  );
  const root = Buffer.from(rebuilt);
  rebuilt.fill(0);
  return root;
}
