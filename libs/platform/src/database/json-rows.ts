/**
 * A bytea value as text for rows passed to PostgreSQL as one JSON document
 * (`jsonb_to_recordset(...) AS v (... bytea)`), which reads `\x…` hex as bytes.
 */
export function byteaText(value: Buffer): string;
export function byteaText(value: Buffer | null): string | null;
export function byteaText(value: Buffer | null): string | null {
  return value ? `\\x${value.toString('hex')}` : null;
}
