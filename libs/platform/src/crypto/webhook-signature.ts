import { createHmac } from 'node:crypto';

/**
 * The signature a receiver of any of Mayak's webhooks (staff notifications, the audit witness)
 * checks: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>` under the shared secret. The
 * timestamp is signed too, so a receiver can refuse a replayed old message.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
