import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, Logger, LOGGER, signWebhook } from '@mayak/platform';
import { AuditChainer } from './audit-chainer.service';
import { AuditVerification, AuditVerifier } from './audit-verifier.service';

/**
 * What the witness receives: where the chain's head is and what it hashes to, when this was
 * sent, and nothing else (no actor, action or record, and not the head entry's own time).
 */
export interface AuditWitnessBody {
  type: 'audit-head';
  /** Linked entries, which is also the head's position in the chain. */
  entries: number;
  /** The head entry's sequence number; null while the trail is empty. */
  seq: string | null;
  /** The head's link, hex; null while the trail is empty. */
  hash: string | null;
  witnessedAt: string;
}

export type AuditWitnessResult =
  | { sent: true; body: AuditWitnessBody }
  | { sent: false; reason: 'not_configured' | 'chain_broken'; verification?: AuditVerification };

export class AuditWitnessError extends Error {
  constructor(readonly status: number | 'network') {
    super(`the audit witness answered ${status}`);
    this.name = 'AuditWitnessError';
  }
}

/**
 * Sends the audit chain's verified head to a witness outside this server
 * (AUDIT_WITNESS_URL). The chain alone cannot show that entries were cut off its end, since a
 * shorter chain is still a valid one; a head that the witness holds and the database no
 * longer reaches can. Signed like the staff webhooks (X-Mayak-Signature over timestamp and
 * body) so the witness can refuse heads that did not come from here.
 */
@Injectable()
export class AuditWitness {
  constructor(
    private readonly config: AppConfig,
    private readonly chainer: AuditChainer,
    private readonly verifier: AuditVerifier,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get configured(): boolean {
    return Boolean(this.config.AUDIT_WITNESS_URL && this.config.AUDIT_WITNESS_SECRET);
  }

  /** Links what is pending, verifies the whole chain, and sends the head if it holds. */
  async witness(): Promise<AuditWitnessResult> {
    if (!this.configured) return { sent: false, reason: 'not_configured' };
    await this.chainer.chainPending();
    const verification = await this.verifier.verify();
    if (!verification.ok) {
      // Never vouch for a broken chain; say so loudly instead (ids only).
      this.logger.error(
        { brokenAt: verification.brokenAt, problem: verification.problem },
        'audit chain broken; head not sent to the witness',
      );
      return { sent: false, reason: 'chain_broken', verification };
    }
    return this.send(verification);
  }

  /** Sends a verified head. Throws AuditWitnessError unless the witness answers 2xx. */
  async send(verification: Extract<AuditVerification, { ok: true }>): Promise<AuditWitnessResult> {
    const url = this.config.AUDIT_WITNESS_URL;
    const secret = this.config.AUDIT_WITNESS_SECRET;
    if (!url || !secret) return { sent: false, reason: 'not_configured' };
    const body: AuditWitnessBody = {
      type: 'audit-head',
      entries: verification.entries,
      seq: verification.head?.seq ?? null,
      hash: verification.head?.hash ?? null,
      witnessedAt: new Date().toISOString(),
    };
    const payload = JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let status: number | 'network';
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Mayak-Audit-Witness/1',
          'x-mayak-timestamp': timestamp,
          'x-mayak-signature': signWebhook(secret, timestamp, payload),
        },
        body: payload,
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
      await response.body?.cancel();
    } catch {
      status = 'network';
    }
    if (typeof status !== 'number' || status < 200 || status >= 300) {
      this.logger.warn(
        { status, entries: body.entries },
        'the audit witness did not accept the head',
      );
      throw new AuditWitnessError(status);
    }
    this.logger.info({ entries: body.entries, seq: body.seq }, 'audit head sent to the witness');
    return { sent: true, body };
  }
}
