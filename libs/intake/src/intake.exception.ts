import { DomainException } from '@mayak/platform';

export enum IntakeError {
  /** A service was requested without the consent scope it needs. */
  ConsentMissing = 'consent_missing',
  /** The same Idempotency-Key was sent with a different request. */
  IdempotencyKeyReused = 'idempotency_key_reused',
  /** A referral that is not an active entry of the directory, or one without outcome referred. */
  ReferralInvalid = 'referral_invalid',
  /** The account asked about callers as often as an hour allows. */
  TooManyLookups = 'too_many_lookups',
}

export class IntakeException extends DomainException<IntakeError> {
  constructor(code: IntakeError, message: string, fields?: Record<string, string[]>) {
    super(code, message, fields);
  }
}
