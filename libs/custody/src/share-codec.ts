import { createHash } from 'node:crypto';
import { CustodyError, CustodyException } from './custody.exception';

const PREFIX = 'mayak-share-1';

export interface DecodedShare {
  /** Names the custody setup the share belongs to, so shares of another one are refused. */
  custodyId: Buffer;
  /** The Shamir share itself: the secret's length plus one byte, its x coordinate last. */
  bytes: Buffer;
}

/**
 * A share as a key holder keeps it: `mayak-share-1-<setup>-<share, base64url>-<checksum>`.
 * The checksum catches a mistyped share before it spoils a rebuild; the setup id catches a
 * share of another installation.
 */
export function encodeShare(custodyId: Buffer, share: Uint8Array): string {
  const bytes = Buffer.from(share.buffer, share.byteOffset, share.byteLength);
  return [
    PREFIX,
    custodyId.toString('hex'),
    bytes.toString('base64url'),
    checksum(custodyId, bytes),
  ].join('-');
}

export function decodeShare(text: string): DecodedShare {
  const match = /^mayak-share-1-([0-9a-f]{16})-([A-Za-z0-9_-]{40,400})-([0-9a-f]{8})$/.exec(
    text.trim(),
  );
  if (!match) throw new CustodyException(CustodyError.MalformedShare);
  const custodyId = Buffer.from(match[1], 'hex');
  const bytes = Buffer.from(match[2], 'base64url');
  if (bytes.length < 17 || checksum(custodyId, bytes) !== match[3])
    throw new CustodyException(CustodyError.MalformedShare);
  return { custodyId, bytes };
}

function checksum(custodyId: Buffer, bytes: Buffer): string {
  return createHash('sha256')
    .update('mayak:share-checksum:v1')
    .update(custodyId)
    .update(bytes)
    .digest('hex')
    .slice(0, 8);
}
